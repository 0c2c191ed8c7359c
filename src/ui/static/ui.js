// emr ui: progressive enhancement only; every page works without it (docs/UI.md § 2.3).
// Loaded from /static/ui.js (the Content-Security-Policy allows no inline script).
// 1. A job's page follows the job: its progress lines, then a reload once it has ended.
// 2. A submitted form's button is disabled, so a second click cannot send the action twice.
(() => {
  const job = document.querySelector('[data-job]');
  if (job) {
    const id = job.getAttribute('data-job');
    const state = document.getElementById('job-state');
    const lines = document.getElementById('job-lines');
    const poll = async () => {
      try {
        const res = await fetch(`/jobs/${id}/status`, { credentials: 'same-origin', cache: 'no-store' });
        if (!res.ok) return;
        const s = await res.json();
        if (s.state === 'done' || s.state === 'failed') {
          location.reload();
          return;
        }
        state.textContent = s.state === 'queued' ? 'Waiting for the action before it to finish…' : 'Working…';
        lines.replaceChildren(
          ...s.progress.map((text) => {
            const li = document.createElement('li');
            li.textContent = text; // text, never markup
            return li;
          }),
        );
      } catch {
        // the server stopped: the page keeps what it showed
        return;
      }
      setTimeout(poll, 500);
    };
    setTimeout(poll, 300);
  }
  for (const form of document.querySelectorAll('form[method="post"]')) {
    form.addEventListener('submit', () => {
      for (const b of form.querySelectorAll('button[type="submit"]')) {
        b.disabled = true;
        b.textContent = 'Working…';
      }
    });
  }
})();
