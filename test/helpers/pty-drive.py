"""Drives a command under a real pseudo-terminal: waits for each prompt (a regex) and types
the answer, like a person. Bounded: every wait and the whole run have a deadline, output is
capped. Usage: pty-drive.py '<json {argv, cols, rows, steps:[[regex, text]], timeout}>'.
Prints the terminal output on stdout; exits with the child's code (124 on a timeout)."""
import json, os, pty, re, select, signal, struct, sys, time, fcntl, termios

spec = json.loads(sys.argv[1])
deadline = time.time() + spec.get('timeout', 60)
cap = spec.get('maxBytes', 1 << 20)
pid, fd = pty.fork()
if pid == 0:
    os.execvp(spec['argv'][0], spec['argv'])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', spec.get('rows', 24), spec.get('cols', 80), 0, 0))
out = b''
seen = 0
steps = list(spec.get('steps', []))
code = None
while True:
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        code = 124
        break
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b''
        if not chunk:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            break
        out += chunk
        if len(out) > cap:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            code = 125
            break
    if steps and re.search(steps[0][0], out[seen:].decode('utf8', 'replace')):
        seen = len(out)
        os.write(fd, steps.pop(0)[1].encode('utf8'))
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(code if code is not None and code >= 0 else 1)
