// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title EmrAccess: patient-controlled access to encrypted medical records.
/// @notice docs/CONTRACT.md is the specification. Records live in events, not storage
/// (a storage slot costs ~22k gas, an event ~2.4k in a batch); access state lives in one
/// packed slot per account and one per (patient, provider), so every access check reads a
/// fixed number of slots however many grants were ever made.
contract EmrAccess {
    // ─────────────────────────────── constants ───────────────────────────────

    uint8 internal constant ROLE_NONE = 0;
    uint8 internal constant ROLE_PATIENT = 1;
    uint8 internal constant ROLE_PROVIDER = 2;

    uint8 internal constant STATUS_UNVERIFIED = 0;
    uint8 internal constant STATUS_VERIFIED = 1;
    uint8 internal constant STATUS_SUSPENDED = 2;

    uint8 internal constant CODEC_RAW = 0x55;
    uint8 internal constant CODEC_DAG_PB = 0x70;

    /// @notice CONTRACT.md § Emergency: break-glass read access lasts this long.
    uint40 public constant EMERGENCY_WINDOW = 24 hours;
    /// @notice Bounds the calldata a registration may put in an event (PQ hybrid ~1.9 KB).
    uint256 public constant MAX_RECIPIENT_LENGTH = 4096;
    uint256 internal constant MAX_REASON_LENGTH = 1024;
    /// Well-formed age recipients (CONTRACT.md § Recipients): "age1" + 58 bech32 characters
    /// (X25519, 32-byte key) or "age1pq1" + 1952 (ML-KEM-768 + X25519, 1216-byte key).
    uint256 internal constant X25519_RECIPIENT_LENGTH = 62;
    uint256 internal constant HYBRID_RECIPIENT_LENGTH = 1959;

    // EIP-712 (CONTRACT.md § Signed actions).
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("EmrAccess");
    /// "2" since issue 25 (CONTRACT.md § Privacy): type masks and record types are per-patient
    /// secret slots, no longer the public type indexes of version 1. A signature made for a
    /// version-1 deployment never verifies here.
    bytes32 internal constant VERSION_HASH = keccak256("2");
    /// Grant and Approve commit to the (patient, provider) epoch, which every revoke bumps:
    /// a revoke voids every outstanding signed grant or approval for that provider
    /// (CONTRACT.md § Signed actions).
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(address patient,address provider,uint32 readMask,uint32 writeMask,uint40 expiry,bytes32 keyDelivery,uint32 epoch,uint256 nonce,uint256 deadline)"
    );
    /// Issue 20 point 2: a signed revoke takes no nonce (a grantee relaying a grant first
    /// could spend it and cancel the revoke); it names the slot's epoch, which it bumps
    /// (so it runs once), and the count of the patient's direct grants to that provider (so
    /// a grant the patient sent after signing it is not cancelled). CONTRACT.md § Signed actions.
    bytes32 public constant REVOKE_TYPEHASH =
        keccak256("Revoke(address patient,address provider,uint32 epoch,uint32 directGrants,uint256 deadline)");
    bytes32 public constant APPROVE_TYPEHASH = keccak256(
        "Approve(address patient,uint256 requestId,uint40 expiry,bytes32 keyDelivery,uint32 epoch,uint256 nonce,uint256 deadline)"
    );
    bytes32 public constant DENY_TYPEHASH =
        keccak256("Deny(address patient,uint256 requestId,uint256 nonce,uint256 deadline)");
    /// secp256k1n / 2: signatures with a larger s are malleable copies (EIP-2).
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    // ─────────────────────────────── storage ────────────────────────────────
    // CONTRACT.md § Storage layout. Bit offsets are from the least significant bit.

    /// account → [0,160) recipient commitment (truncated keccak256) | [160,168) role |
    /// [168,176) status | [176,216) keyUpdatedAt | [216,248) emergency-visible types mask
    mapping(address => uint256) internal _accounts;

    /// patient → provider → [0,40) expiry | [40,72) read mask | [72,104) write mask |
    /// [104,136) epoch | [136,176) emergency open until | [176,216) revoked at |
    /// [216,248) direct grants this epoch (issue 20 point 2: what a signed revoke names)
    mapping(address => mapping(address => uint256)) internal _grants;

    /// patient → provider → record id → [0,40) expiry | [40,72) epoch at grant time
    mapping(address => mapping(address => mapping(uint256 => uint256))) internal _recordGrants;

    /// patient → request id → [0,160) provider | [160,192) read mask | [192,200) state |
    /// [200,240) createdAt. Keyed by patient so that only the request's patient finds it.
    mapping(address => mapping(uint256 => uint256)) internal _requests;

    mapping(address => bool) public isAdmin;
    uint256 public adminCount;

    /// Next record id; starts at 1 so that 0 never names a record and each add rewrites
    /// a non-zero slot (~5k instead of ~22k).
    uint256 public nextRecordId = 1;
    uint256 public nextRequestId = 1;

    mapping(address => uint256) public nonces;

    /// keccak256 of the consortium emergency recipient (the string is in the event).
    bytes32 public emergencyRecipientHash;

    // ──────────────────────────────── events ────────────────────────────────

    event AdminAdded(address indexed admin, address indexed by);
    event AdminRemoved(address indexed admin, address indexed by);
    event Registered(address indexed account, uint8 role, string recipient);
    event ProviderVerified(address indexed provider, address indexed by);
    event ProviderSuspended(address indexed provider, address indexed by);
    event RecordAdded(
        uint256 indexed id,
        address indexed patient,
        address indexed author,
        uint8 recordType,
        uint8 cidCodec,
        bytes32 digest
    );
    event RecordRekeyed(uint256 indexed id, address indexed patient, uint8 cidCodec, bytes32 digest);
    event Granted(
        address indexed patient,
        address indexed provider,
        uint32 readMask,
        uint32 writeMask,
        uint40 expiry,
        bytes32 keyDelivery
    );
    event RecordsGranted(
        address indexed patient,
        address indexed provider,
        uint256[] ids,
        uint40 expiry,
        uint32 epoch,
        bytes32 keyDelivery
    );
    event Revoked(address indexed patient, address indexed provider, uint32 epoch);
    event AccessRequested(
        uint256 indexed requestId,
        address indexed patient,
        address indexed provider,
        uint32 readMask,
        string reason
    );
    event RequestApproved(uint256 indexed requestId, address indexed patient, address indexed provider, uint40 expiry);
    event RequestDenied(uint256 indexed requestId, address indexed patient, address indexed provider);
    event EmergencyOpened(address indexed patient, address indexed provider, uint40 expiresAt, string reason);
    event EmergencyTypesSet(address indexed patient, uint32 mask);
    event EmergencyRecipientSet(address indexed by, string recipient);
    /// `recordType` is the type the reader claimed (and was checked against); readers MUST
    /// check patient and type against the record's RecordAdded (CONTRACT.md § Read receipts).
    event RecordAccessed(uint256 indexed recordId, address indexed patient, address indexed reader, uint8 recordType);
    /// SHARING.md § 4.2: a consortium admin delivered the keys of emergency-visible records.
    event EmergencyKeysReleased(address indexed patient, address indexed provider, address indexed by, bytes32 keyDelivery);

    // ──────────────────────────────── errors ────────────────────────────────
    // Every refusal has its own error; src/chain/errors.ts maps them to exit codes.

    error NotAdmin(address caller);
    error LastAdmin();
    error AlreadyAdmin(address account);
    error InvalidRole(uint8 role);
    error RoleChange(uint8 current, uint8 requested);
    error InvalidRecipient();
    error NotRegistered(address account);
    error NotPatient(address account);
    error NotProvider(address account);
    error ProviderNotVerified(address provider);
    error SuspendedProvider(address provider);
    error NotAuthorized(address author, address patient, uint8 recordType);
    error NoReadAccess(address reader, address patient, uint256 recordId);
    error InvalidRecordType(uint8 recordType);
    error InvalidCodec(uint8 codec);
    error InvalidDigest();
    error UnknownRecord(uint256 id);
    error BadBatch();
    error InvalidExpiry(uint40 expiry);
    error EmptyGrant();
    error SelfGrant();
    error UnknownRequest(uint256 requestId);
    error RequestAlreadyDecided(uint256 requestId);
    error InvalidReason();
    error SignatureExpired(uint256 deadline);
    error BadNonce(uint256 expected, uint256 given);
    error InvalidSignature();
    error NoOpenEmergency(address patient, address provider);
    error ZeroAddress();
    error EmergencyClosedByPatient(uint40 until);
    error StaleEpoch(uint32 expected, uint32 given);

    // ─────────────────────────────── modifiers ──────────────────────────────

    modifier onlyAdmin() {
        if (!isAdmin[msg.sender]) revert NotAdmin(msg.sender);
        _;
    }

    constructor(address firstAdmin) {
        address a = firstAdmin == address(0) ? msg.sender : firstAdmin;
        isAdmin[a] = true;
        adminCount = 1;
        emit AdminAdded(a, msg.sender);
    }

    // ──────────────────────────────── admins ────────────────────────────────

    function addAdmin(address account) external onlyAdmin {
        // No one holds the zero address's key: counting it as an admin would let the last
        // real admin remove itself and leave the contract with none (issue #8, point 15).
        if (account == address(0)) revert ZeroAddress();
        if (isAdmin[account]) revert AlreadyAdmin(account);
        isAdmin[account] = true;
        adminCount += 1;
        emit AdminAdded(account, msg.sender);
    }

    /// @notice An admin may remove any admin, itself included, but never the last one.
    function removeAdmin(address account) external onlyAdmin {
        if (!isAdmin[account]) revert NotAdmin(account);
        if (adminCount == 1) revert LastAdmin();
        isAdmin[account] = false;
        adminCount -= 1;
        emit AdminRemoved(account, msg.sender);
    }

    function verifyProvider(address provider) external onlyAdmin {
        uint256 acct = _accounts[provider];
        if (_role(acct) != ROLE_PROVIDER) revert NotProvider(provider);
        _accounts[provider] = _withStatus(acct, STATUS_VERIFIED);
        emit ProviderVerified(provider, msg.sender);
    }

    function suspendProvider(address provider) external onlyAdmin {
        uint256 acct = _accounts[provider];
        if (_role(acct) != ROLE_PROVIDER) revert NotProvider(provider);
        _accounts[provider] = _withStatus(acct, STATUS_SUSPENDED);
        emit ProviderSuspended(provider, msg.sender);
    }

    /// @notice Publishes the consortium's emergency age recipient (CONTRACT.md § Emergency).
    function setEmergencyRecipient(string calldata recipient) external onlyAdmin {
        _checkRecipient(recipient);
        emergencyRecipientHash = keccak256(bytes(recipient));
        emit EmergencyRecipientSet(msg.sender, recipient);
    }

    // ───────────────────────────── registration ─────────────────────────────

    /// @notice Self-registration as patient (1) or provider (2), publishing the account's
    /// age recipient. Calling again rotates the key (a new event, a new commitment); the
    /// role never changes and a provider keeps its verification status.
    function register(uint8 role, string calldata recipient) external {
        if (role != ROLE_PATIENT && role != ROLE_PROVIDER) revert InvalidRole(role);
        _checkRecipient(recipient);
        uint256 acct = _accounts[msg.sender];
        uint8 current = _role(acct);
        if (current != ROLE_NONE && current != role) revert RoleChange(current, role);
        uint256 commitment = uint256(keccak256(bytes(recipient))) >> 96;
        // Keep status and emergency mask; replace commitment, role and key time.
        uint256 keep = acct & ((uint256(0xFF) << 168) | (uint256(type(uint32).max) << 216));
        _accounts[msg.sender] =
            keep | commitment | (uint256(role) << 160) | (uint256(uint40(block.timestamp)) << 176);
        emit Registered(msg.sender, role, recipient);
    }

    /// @notice Which record types an emergency (break-glass) reader may read.
    function setEmergencyTypes(uint32 mask) external {
        uint256 acct = _accounts[msg.sender];
        if (_role(acct) != ROLE_PATIENT) revert NotPatient(msg.sender);
        _accounts[msg.sender] = (acct & ~(uint256(type(uint32).max) << 216)) | (uint256(mask) << 216);
        emit EmergencyTypesSet(msg.sender, mask);
    }

    // ──────────────────────────────── records ───────────────────────────────

    /// @notice Registers one record: the patient itself, or a verified provider with a
    /// live write grant covering the type. `digest` is the sha2-256 digest of a CIDv1
    /// whose codec is `cidCodec` (0x55 raw or 0x70 dag-pb).
    function addRecord(address patient, uint8 recordType, uint8 cidCodec, bytes32 digest)
        external
        returns (uint256 id)
    {
        _checkRecordFields(recordType, cidCodec, digest);
        _checkWriter(msg.sender, patient, recordType);
        id = nextRecordId;
        nextRecordId = id + 1;
        emit RecordAdded(id, patient, msg.sender, recordType, cidCodec, digest);
    }

    /// @notice Registers many records in one transaction. `packed` is a concatenation of
    /// 54-byte entries: patient (20) ‖ recordType (1) ‖ cidCodec (1) ‖ digest (32).
    /// Packed calldata is ~2.4x smaller than four parallel arrays (CONTRACT.md § Gas).
    /// Ids are consecutive: the first is returned.
    function addRecords(bytes calldata packed) external returns (uint256 firstId) {
        uint256 n = packed.length / 54;
        if (n == 0 || packed.length != n * 54) revert BadBatch();
        firstId = nextRecordId;
        address lastPatient;
        uint256 lastTypesOk; // bitmask of types already authorised for lastPatient
        for (uint256 i = 0; i < n; ++i) {
            uint256 off;
            unchecked {
                off = i * 54;
            }
            uint256 head;
            bytes32 digest;
            assembly {
                head := calldataload(add(packed.offset, off))
                digest := calldataload(add(packed.offset, add(off, 22)))
            }
            address patient = address(uint160(head >> 96));
            uint8 recordType = uint8(head >> 88);
            uint8 cidCodec = uint8(head >> 80);
            _checkRecordFields(recordType, cidCodec, digest);
            // Consecutive entries for the same patient reuse the authorisation already made.
            if (patient != lastPatient) {
                lastPatient = patient;
                lastTypesOk = 0;
            }
            if (lastTypesOk & (uint256(1) << recordType) == 0) {
                _checkWriter(msg.sender, patient, recordType);
                lastTypesOk |= uint256(1) << recordType;
            }
            emit RecordAdded(firstId + i, patient, msg.sender, recordType, cidCodec, digest);
        }
        nextRecordId = firstId + n;
    }

    /// @notice Points a record at a re-encrypted copy. Records are not in storage, so the
    /// contract cannot tell whose record `id` is: the event carries the caller as
    /// `patient` and readers accept a rekey only when it equals the record's patient
    /// (CONTRACT.md § Re-key). Costs no storage.
    function rekeyRecord(uint256 id, uint8 cidCodec, bytes32 digest) external {
        if (id == 0 || id >= nextRecordId) revert UnknownRecord(id);
        _checkRecordFields(0, cidCodec, digest);
        if (_role(_accounts[msg.sender]) != ROLE_PATIENT) revert NotPatient(msg.sender);
        emit RecordRekeyed(id, msg.sender, cidCodec, digest);
    }

    /// @notice A read receipt: "reader fetched record `recordId` of `patient`". Only
    /// someone who may read it at this moment can log it.
    function logAccess(uint256 recordId, address patient, uint8 recordType) external {
        if (recordId == 0 || recordId >= nextRecordId) revert UnknownRecord(recordId);
        if (!canRead(msg.sender, patient, recordType, recordId)) {
            revert NoReadAccess(msg.sender, patient, recordId);
        }
        emit RecordAccessed(recordId, patient, msg.sender, recordType);
    }

    // ──────────────────────────────── grants ────────────────────────────────

    function grant(address provider, uint32 readMask, uint32 writeMask, uint40 expiry, bytes32 keyDelivery) external {
        _grant(msg.sender, provider, readMask, writeMask, expiry, keyDelivery, true);
    }

    /// @notice Record-scoped read grants, stamped with the current epoch so that one
    /// `revoke` ends all of them at once.
    function grantRecords(address provider, uint256[] calldata ids, uint40 expiry, bytes32 keyDelivery) external {
        _requirePatient(msg.sender);
        _requireGrantee(msg.sender, provider);
        if (expiry <= block.timestamp) revert InvalidExpiry(expiry);
        if (ids.length == 0) revert EmptyGrant();
        uint256 g = _grants[msg.sender][provider];
        uint32 epoch = uint32(g >> 104);
        // A direct grant: a revoke signed before it no longer applies (issue 20 point 2).
        _grants[msg.sender][provider] = _countDirectGrant(g);
        uint256 value = uint256(expiry) | (uint256(epoch) << 40);
        uint256 next = nextRecordId;
        mapping(uint256 => uint256) storage slots = _recordGrants[msg.sender][provider];
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256 id = ids[i];
            if (id == 0 || id >= next) revert UnknownRecord(id);
            slots[id] = value;
        }
        emit RecordsGranted(msg.sender, provider, ids, expiry, epoch, keyDelivery);
    }

    function revoke(address provider) external {
        _revoke(msg.sender, provider);
    }

    // ─────────────────────────────── requests ───────────────────────────────

    function requestAccess(address patient, uint32 readMask, string calldata reason)
        external
        returns (uint256 requestId)
    {
        uint256 acct = _accounts[msg.sender];
        if (_role(acct) != ROLE_PROVIDER) revert NotProvider(msg.sender);
        if (_status(acct) == STATUS_SUSPENDED) revert SuspendedProvider(msg.sender);
        _requirePatient(patient);
        if (readMask == 0) revert EmptyGrant();
        // Issue 25: a request's reason may carry its types sealed to the patient (an age file,
        // ~1.9 KB for a post-quantum patient key): CONTRACT.md § Privacy.
        if (bytes(reason).length > MAX_REQUEST_REASON_LENGTH) revert InvalidReason();
        requestId = nextRequestId;
        nextRequestId = requestId + 1;
        _requests[patient][requestId] =
            uint256(uint160(msg.sender)) | (uint256(readMask) << 160) | (uint256(block.timestamp) << 200);
        emit AccessRequested(requestId, patient, msg.sender, readMask, reason);
    }

    function approveRequest(uint256 requestId, uint40 expiry, bytes32 keyDelivery) external {
        _approve(msg.sender, requestId, expiry, keyDelivery, true);
    }

    function denyRequest(uint256 requestId) external {
        _deny(msg.sender, requestId);
    }

    // ─────────────────────────────── emergency ──────────────────────────────

    /// @notice Break-glass: a verified provider opens read access to the patient's
    /// emergency-visible types for EMERGENCY_WINDOW. Always evented with the reason.
    function openEmergency(address patient, string calldata reason) external returns (uint40 expiresAt) {
        _requireVerified(msg.sender);
        _requirePatient(patient);
        if (bytes(reason).length == 0 || bytes(reason).length > MAX_REASON_LENGTH) revert InvalidReason();
        uint256 g = _grants[patient][msg.sender];
        // A patient who revoked this provider (closing any emergency) is evidently able to
        // decide: the provider may not reopen for EMERGENCY_WINDOW after that revoke
        // (CONTRACT.md § Emergency). Other providers may.
        uint40 closedUntil = uint40(g >> 176) + EMERGENCY_WINDOW;
        if (uint40(g >> 176) != 0 && closedUntil > block.timestamp) revert EmergencyClosedByPatient(closedUntil);
        expiresAt = uint40(block.timestamp) + EMERGENCY_WINDOW;
        _grants[patient][msg.sender] = (g & ~(uint256(type(uint40).max) << 136)) | (uint256(expiresAt) << 136);
        emit EmergencyOpened(patient, msg.sender, expiresAt, reason);
    }

    /// @notice SHARING.md § 4.2: the consortium's key custodian (an admin) delivers the file
    /// keys of the patient's emergency-visible records to a provider — only while that
    /// provider's emergency is open, and always on the record. `keyDelivery` is the digest of
    /// an off-chain object encrypted to the provider alone; no key material is on chain.
    function releaseEmergencyKeys(address patient, address provider, bytes32 keyDelivery) external onlyAdmin {
        if (uint40(_grants[patient][provider] >> 136) <= block.timestamp) revert NoOpenEmergency(patient, provider);
        // A provider suspended after opening reads nothing (canRead) and gets no keys either.
        _requireVerified(provider);
        if (keyDelivery == bytes32(0)) revert InvalidDigest();
        emit EmergencyKeysReleased(patient, provider, msg.sender, keyDelivery);
    }

    // ──────────────────────────── signed actions ────────────────────────────
    // CONTRACT.md § Signed actions: a patient signs offline, anyone relays.

    function grantBySig(
        address patient,
        address provider,
        uint32 readMask,
        uint32 writeMask,
        uint40 expiry,
        bytes32 keyDelivery,
        uint32 epoch,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(
            abi.encode(GRANT_TYPEHASH, patient, provider, readMask, writeMask, expiry, keyDelivery, epoch, nonce, deadline)
        );
        _useSignature(patient, structHash, nonce, deadline, signature);
        _checkEpoch(patient, provider, epoch);
        _grant(patient, provider, readMask, writeMask, expiry, keyDelivery, false);
    }

    /// Issue 20 point 2 (CONTRACT.md § Signed actions): no nonce. Valid while the slot is in
    /// the epoch it names (once: it bumps it) and the patient has sent no direct grant to
    /// the provider since signing. Grants *signed* before it cannot outrun it: relayed first,
    /// they stay in the epoch this revoke then ends; relayed after, they are stale.
    function revokeBySig(
        address patient,
        address provider,
        uint32 epoch,
        uint32 directGrants,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(abi.encode(REVOKE_TYPEHASH, patient, provider, epoch, directGrants, deadline));
        _checkSignature(patient, structHash, deadline, signature);
        uint256 g = _grants[patient][provider];
        if (uint32(g >> 104) != epoch) revert StaleEpoch(uint32(g >> 104), epoch);
        if (uint32(g >> 216) != directGrants) revert RevokeSuperseded(uint32(g >> 216), directGrants);
        _revoke(patient, provider);
    }

    function approveBySig(
        address patient,
        uint256 requestId,
        uint40 expiry,
        bytes32 keyDelivery,
        uint32 epoch,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash =
            keccak256(abi.encode(APPROVE_TYPEHASH, patient, requestId, expiry, keyDelivery, epoch, nonce, deadline));
        _useSignature(patient, structHash, nonce, deadline, signature);
        _checkEpoch(patient, address(uint160(_requests[patient][requestId])), epoch);
        _approve(patient, requestId, expiry, keyDelivery, false);
    }

    function denyBySig(address patient, uint256 requestId, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
    {
        bytes32 structHash = keccak256(abi.encode(DENY_TYPEHASH, patient, requestId, nonce, deadline));
        _useSignature(patient, structHash, nonce, deadline, signature);
        _deny(patient, requestId);
    }

    function domainSeparator() public view returns (bytes32) {
        // Computed per call, so a chain fork with a new chain id never accepts old signatures.
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    // ───────────────────────────────── views ────────────────────────────────

    /// @notice O(1): the patient, a live type grant, a live record grant of the current
    /// epoch, or an open emergency covering an emergency-visible type. A suspended
    /// provider reads nothing.
    /// Slot order is for logAccess's gas (CONTRACT.md § Gas): the grant slot first, and the
    /// patient's account only off the type-grant path. A live type grant implies a
    /// registered patient and a registered reader: only _grant writes an expiry, it requires
    /// both, and no role is ever taken back. The reader's account is still read for its
    /// suspension, which no grant slot can carry.
    function canRead(address reader, address patient, uint8 recordType, uint256 recordId)
        public
        view
        returns (bool)
    {
        if (recordType > 31) return false;
        if (reader == patient) return _role(_accounts[patient]) == ROLE_PATIENT;
        uint256 g = _grants[patient][reader];
        uint256 bit = uint256(1) << recordType;
        if (uint40(g) <= block.timestamp || (g >> 40) & bit == 0) {
            uint256 pAcct = _accounts[patient];
            if (_role(pAcct) != ROLE_PATIENT) return false;
            if (uint40(g >> 136) <= block.timestamp || (pAcct >> 216) & bit == 0) {
                if (recordId == 0) return false;
                uint256 rg = _recordGrants[patient][reader][recordId];
                if (uint40(rg) <= block.timestamp || uint32(rg >> 40) != uint32(g >> 104)) return false;
            }
        }
        uint256 rAcct = _accounts[reader];
        return _role(rAcct) != ROLE_NONE && _status(rAcct) != STATUS_SUSPENDED;
    }

    /// @notice O(1): the patient itself, or a verified provider with a live write grant.
    function canWrite(address author, address patient, uint8 recordType) public view returns (bool) {
        if (_role(_accounts[patient]) != ROLE_PATIENT || recordType > 31) return false;
        if (author == patient) return true;
        uint256 aAcct = _accounts[author];
        if (_role(aAcct) != ROLE_PROVIDER || _status(aAcct) != STATUS_VERIFIED) return false;
        uint256 g = _grants[patient][author];
        return uint40(g) > block.timestamp && (g >> 72) & (uint256(1) << recordType) != 0;
    }

    /// @notice role: 0 none, 1 patient, 2 provider; status: 0 unverified, 1 verified,
    /// 2 suspended.
    function accountOf(address account)
        external
        view
        returns (
            uint8 role,
            uint8 status,
            bytes20 recipientCommitment,
            uint40 keyUpdatedAt,
            uint32 emergencyTypes
        )
    {
        uint256 a = _accounts[account];
        return (_role(a), _status(a), bytes20(uint160(a)), uint40(a >> 176), uint32(a >> 216));
    }

    function grantOf(address patient, address provider)
        external
        view
        returns (uint40 expiry, uint32 readMask, uint32 writeMask, uint32 epoch, uint40 emergencyUntil)
    {
        uint256 g = _grants[patient][provider];
        return (uint40(g), uint32(g >> 40), uint32(g >> 72), uint32(g >> 104), uint40(g >> 136));
    }

    function recordGrantOf(address patient, address provider, uint256 id)
        external
        view
        returns (uint40 expiry, uint32 epoch)
    {
        uint256 rg = _recordGrants[patient][provider][id];
        return (uint40(rg), uint32(rg >> 40));
    }

    /// @notice state: 0 pending, 1 approved, 2 denied; a zero provider means no such
    /// request for this patient.
    function requestOf(address patient, uint256 requestId)
        external
        view
        returns (address provider, uint32 readMask, uint8 state, uint40 createdAt)
    {
        uint256 r = _requests[patient][requestId];
        return (address(uint160(r)), uint32(r >> 160), uint8(r >> 192), uint40(r >> 200));
    }

    // ─────────────── issue 21 § 2 and § 5: void and dispense (helper h21b) ───────────────
    // CONTRACT.md § Void and dispense. Kept apart from the functions above so that other
    // changes to the contract merge beside it.

    // Issue 25 (CONTRACT.md § Privacy): no type is hard-coded. A record's type is a slot that
    // means something else for every patient; the caller names the slot of the record it
    // dispenses (the record's own slot, public in its RecordAdded) and the contract checks the
    // caller's read grant covers it. Readers accept a dispense only when that slot is the
    // record's slot and the record is the patient's prescription (which only key holders can
    // tell). The once-only slot is keyed by (id, slot), so a caller naming a wrong slot for
    // `id` fills a slot no reader counts and cannot block the real dispense.

    /// patient → (id << 5 | slot) → [0,160) dispenser | [160,200) dispensedAt. Keyed by the
    /// claimed patient: a caller only fills slots in the name of a patient who granted it.
    mapping(address => mapping(uint256 => uint256)) internal _dispensed;

    /// Entered in error: readers accept it only when `patient` is the record's patient and
    /// `by` its author or patient (the contract cannot see whose record `id` is).
    event RecordVoided(uint256 indexed id, address indexed patient, address indexed by, string reason);
    /// Readers accept it only when `patient` is the record's patient, `slot` the record's slot,
    /// and that slot is the patient's prescription slot.
    event PrescriptionDispensed(uint256 indexed id, address indexed patient, address indexed by, uint8 slot);

    error AlreadyDispensed(uint256 id, address by, uint40 at);
    error NotGrantedPrescription(address provider, address patient, uint256 id);

    /// @notice Marks record `id` of `patient` entered-in-error. The caller is the patient
    /// itself or a registered provider that is not suspended (its authorship is checked by
    /// readers against RecordAdded). The bytes stay where they are: the audit trail keeps
    /// them. Costs no storage; the CLI refuses a second void before sending.
    function voidRecord(uint256 id, address patient, string calldata reason) external {
        if (id == 0 || id >= nextRecordId) revert UnknownRecord(id);
        if (bytes(reason).length == 0 || bytes(reason).length > MAX_REASON_LENGTH) revert InvalidReason();
        uint256 acct = _accounts[msg.sender];
        if (msg.sender == patient) {
            if (_role(acct) != ROLE_PATIENT) revert NotPatient(msg.sender);
        } else {
            if (_role(acct) != ROLE_PROVIDER) revert NotProvider(msg.sender);
            if (_status(acct) == STATUS_SUSPENDED) revert SuspendedProvider(msg.sender);
        }
        emit RecordVoided(id, patient, msg.sender, reason);
    }

    /// @notice A verified provider whose read grant covers `slot` (a live type grant, or a
    /// live record grant of this id in the current epoch; an emergency is not a grant) marks
    /// record `id`, of that slot, dispensed. Once per (id, slot): a second dispense reverts
    /// naming the first (seed systems: a prescription is redeemed once).
    function dispensePrescription(uint256 id, address patient, uint8 slot) external {
        if (id == 0 || id >= nextRecordId) revert UnknownRecord(id);
        if (slot > 31) revert InvalidRecordType(slot);
        _requireVerified(msg.sender);
        uint256 g = _grants[patient][msg.sender];
        if (uint40(g) <= block.timestamp || (g >> 40) & (uint256(1) << slot) == 0) {
            uint256 rg = _recordGrants[patient][msg.sender][id];
            if (uint40(rg) <= block.timestamp || uint32(rg >> 40) != uint32(g >> 104)) {
                revert NotGrantedPrescription(msg.sender, patient, id);
            }
        }
        uint256 key = (id << 5) | slot;
        uint256 d = _dispensed[patient][key];
        if (d != 0) revert AlreadyDispensed(id, address(uint160(d)), uint40(d >> 160));
        _dispensed[patient][key] = uint256(uint160(msg.sender)) | (uint256(uint40(block.timestamp)) << 160);
        emit PrescriptionDispensed(id, patient, msg.sender, slot);
    }

    /// @notice Who dispensed record `id` of `slot` in `patient`'s name, and when (zero: nobody).
    function dispensedOf(address patient, uint256 id, uint8 slot) external view returns (address by, uint40 at) {
        uint256 d = _dispensed[patient][(id << 5) | (slot & 31)];
        return (address(uint160(d)), uint40(d >> 160));
    }

    // ─────────────── issue 25: sealed access requests (CONTRACT.md § Privacy) ───────────────
    // A provider cannot name a patient's type slots before it holds the patient's type key,
    // so a request names no slot: it asks for every slot (the same mask for every request)
    // and seals the types it wants, with its reason, to the patient in `reason`. The patient
    // approves with the slots it chooses, within the request's mask.

    uint256 internal constant MAX_REQUEST_REASON_LENGTH = 4096;

    error MaskNotRequested(uint32 requested, uint32 chosen);

    /// @notice approveRequest with the read slots the patient chooses (non-zero, within the
    /// request's mask); otherwise the same: extends a live grant, the later expiry wins.
    function approveRequestAs(uint256 requestId, uint32 readMask, uint40 expiry, bytes32 keyDelivery) external {
        if (readMask == 0) revert EmptyGrant();
        _approveMask(msg.sender, requestId, readMask, expiry, keyDelivery, true);
    }

    // ───────────── issue 20 point 2: a signed revoke no grantee can cancel ─────────────
    // CONTRACT.md § Signed actions. The slot counts the patient's direct grants (grant,
    // grantRecords, approveRequest) since its last revoke; revokeBySig names that count.

    error RevokeSuperseded(uint32 current, uint32 given);

    /// What a signed revoke must name now: the slot's epoch and its direct-grant count.
    function revokeTermsOf(address patient, address provider) external view returns (uint32 epoch, uint32 directGrants) {
        uint256 g = _grants[patient][provider];
        return (uint32(g >> 104), uint32(g >> 216));
    }

    function _countDirectGrant(uint256 g) internal pure returns (uint256) {
        uint32 n;
        unchecked {
            n = uint32(g >> 216) + 1; // wraps after 2^32 grants in one epoch: harmless
        }
        return (g & ~(uint256(0xFFFFFFFF) << 216)) | (uint256(n) << 216);
    }

    // ───────────── issue 24 § 1: organisations (CONTRACT.md § Organisations) ─────────────
    // Kept in its own block so that other changes to the contract merge beside it.
    // The consortium registers an organisation (its name is public: a hospital is a public
    // body) with its own admins; an org admin adds and removes verified providers, each in
    // at most one department of that org; a provider may belong to several orgs. A patient
    // grants an org (or one department of it) read access to type slots until an expiry.
    // The reader names the org it reads through, so every check reads three slots (grant,
    // membership, reader's account) however many members or grants there are. A member who
    // leaves keeps only what was added before it left: its membership records the next
    // record id at removal.

    uint256 public constant MAX_ORG_NAME_LENGTH = 128;
    uint256 public constant MAX_DEPARTMENT_LENGTH = 64;
    uint256 public constant MAX_ORG_ADMINS = 16;

    /// Next organisation id; starts at 1 so that 0 never names an org.
    uint256 public nextOrgId = 1;
    /// org → [0,40) createdAt (0: no such org)
    mapping(uint256 => uint256) internal _orgs;
    /// keccak256(name) → org: names are unique, so `grant --org "St Elsewhere"` is unambiguous.
    mapping(bytes32 => uint256) public orgIdOfNameHash;
    mapping(uint256 => mapping(address => bool)) public isOrgAdmin;
    /// org → provider → [0,40) joinedAt | [40,80) leftAt (0: a member) | [80,144) first
    /// record id it may not read after leaving | [144,176) department tag (0: none)
    mapping(uint256 => mapping(address => uint256)) internal _orgMembers;
    /// patient → org → [0,40) expiry | [40,72) read mask | [72,104) department tag (0: the
    /// whole org) | [104,136) epoch (bumped by every revoke)
    mapping(address => mapping(uint256 => uint256)) internal _orgGrants;

    event OrgCreated(uint256 indexed org, address indexed by, string name);
    event OrgAdminSet(uint256 indexed org, address indexed account, address indexed by, bool isOrgAdmin);
    event OrgMemberAdded(uint256 indexed org, address indexed provider, address indexed by, uint32 departmentTag, string department);
    event OrgMemberRemoved(uint256 indexed org, address indexed provider, address indexed by, uint64 readsBefore);
    /// The same slot mask and expiry as Granted; `keyDelivery` is sealed to the members.
    event OrgGranted(
        address indexed patient,
        uint256 indexed org,
        uint32 readMask,
        uint32 departmentTag,
        uint40 expiry,
        bytes32 keyDelivery
    );
    event OrgRevoked(address indexed patient, uint256 indexed org, uint32 epoch);

    error UnknownOrg(uint256 org);
    error NotOrgAdmin(uint256 org, address caller);
    error InvalidOrgName();
    error OrgNameTaken(uint256 org);
    error InvalidDepartment();
    error NotOrgMember(uint256 org, address provider);
    error TooManyOrgAdmins();

    modifier onlyOrgAdmin(uint256 org) {
        if (!isOrgAdmin[org][msg.sender]) revert NotOrgAdmin(org, msg.sender);
        _;
    }

    /// @notice The consortium registers an organisation and its admins (1..16 accounts).
    function createOrg(string calldata name, address[] calldata admins) external onlyAdmin returns (uint256 org) {
        uint256 len = bytes(name).length;
        if (len == 0 || len > MAX_ORG_NAME_LENGTH) revert InvalidOrgName();
        if (admins.length == 0 || admins.length > MAX_ORG_ADMINS) revert TooManyOrgAdmins();
        bytes32 h = keccak256(bytes(name));
        if (orgIdOfNameHash[h] != 0) revert OrgNameTaken(orgIdOfNameHash[h]);
        org = nextOrgId;
        nextOrgId = org + 1;
        orgIdOfNameHash[h] = org;
        _orgs[org] = uint256(uint40(block.timestamp));
        emit OrgCreated(org, msg.sender, name);
        for (uint256 i = 0; i < admins.length; ++i) {
            if (admins[i] == address(0)) revert ZeroAddress();
            isOrgAdmin[org][admins[i]] = true;
            emit OrgAdminSet(org, admins[i], msg.sender, true);
        }
    }

    /// @notice The consortium adds or removes an organisation's admin.
    function setOrgAdmin(uint256 org, address account, bool on) external onlyAdmin {
        if (_orgs[org] == 0) revert UnknownOrg(org);
        if (account == address(0)) revert ZeroAddress();
        isOrgAdmin[org][account] = on;
        emit OrgAdminSet(org, account, msg.sender, on);
    }

    /// @notice An org admin adds a verified provider (again: moves it to `department`, and
    /// a former member rejoins from now). `department` empty: no department.
    function addOrgMember(uint256 org, address provider, string calldata department) external onlyOrgAdmin(org) {
        _requireVerified(provider);
        uint256 len = bytes(department).length;
        if (len > MAX_DEPARTMENT_LENGTH) revert InvalidDepartment();
        uint32 tag = len == 0 ? 0 : departmentTag(department);
        uint256 m = _orgMembers[org][provider];
        // A current member keeps its join time; anyone else (re)joins now.
        uint256 joined = (uint40(m) != 0 && uint40(m >> 40) == 0) ? uint40(m) : block.timestamp;
        _orgMembers[org][provider] = uint256(uint40(joined)) | (uint256(tag) << 144);
        emit OrgMemberAdded(org, provider, msg.sender, tag, department);
    }

    /// @notice An org admin removes a member: it reads nothing added from now on through this org.
    function removeOrgMember(uint256 org, address provider) external onlyOrgAdmin(org) {
        uint256 m = _orgMembers[org][provider];
        if (uint40(m) == 0 || uint40(m >> 40) != 0) revert NotOrgMember(org, provider);
        uint64 readsBefore = uint64(nextRecordId);
        _orgMembers[org][provider] = uint256(uint40(m)) | (uint256(uint40(block.timestamp)) << 40)
            | (uint256(readsBefore) << 80) | (m & (uint256(type(uint32).max) << 144));
        emit OrgMemberRemoved(org, provider, msg.sender, readsBefore);
    }

    /// @notice The patient lets an org (or its department `departmentTag`, 0: all of it) read
    /// these slots until `expiry`. Replaces an earlier grant to that org; keeps the epoch.
    function grantOrg(uint256 org, uint32 readMask, uint32 department, uint40 expiry, bytes32 keyDelivery) external {
        _requirePatient(msg.sender);
        if (_orgs[org] == 0) revert UnknownOrg(org);
        if (readMask == 0) revert EmptyGrant();
        if (expiry <= block.timestamp) revert InvalidExpiry(expiry);
        uint256 g = _orgGrants[msg.sender][org];
        _orgGrants[msg.sender][org] = (g & (uint256(type(uint32).max) << 104)) | uint256(expiry)
            | (uint256(readMask) << 40) | (uint256(department) << 72);
        emit OrgGranted(msg.sender, org, readMask, department, expiry, keyDelivery);
    }

    /// @notice Ends the patient's grant to `org` at once (one SSTORE, like revoke).
    function revokeOrg(uint256 org) external {
        uint32 epoch;
        unchecked {
            epoch = uint32(_orgGrants[msg.sender][org] >> 104) + 1;
        }
        _orgGrants[msg.sender][org] = uint256(epoch) << 104;
        emit OrgRevoked(msg.sender, org, epoch);
    }

    /// @notice O(1): `reader` may read record `recordId` (0: a record added now) of slot
    /// `slot` of `patient` through `org`: a live org grant covering the slot, a membership
    /// (in the granted department, if any) that had not ended when the record was added,
    /// and a verified reader.
    function canReadVia(address reader, uint256 org, address patient, uint8 slot, uint256 recordId)
        public
        view
        returns (bool)
    {
        if (slot > 31) return false;
        uint256 g = _orgGrants[patient][org];
        if (uint40(g) <= block.timestamp || (g >> 40) & (uint256(1) << slot) == 0) return false;
        uint256 m = _orgMembers[org][reader];
        if (uint40(m) == 0) return false;
        if (uint40(m >> 40) != 0 && (recordId == 0 || recordId >= uint64(m >> 80))) return false;
        uint32 dept = uint32(g >> 72);
        if (dept != 0 && uint32(m >> 144) != dept) return false;
        uint256 rAcct = _accounts[reader];
        return _role(rAcct) == ROLE_PROVIDER && _status(rAcct) == STATUS_VERIFIED;
    }

    /// @notice A read receipt through an org: the same RecordAccessed event as logAccess.
    function logAccessVia(uint256 recordId, address patient, uint8 slot, uint256 org) external {
        if (recordId == 0 || recordId >= nextRecordId) revert UnknownRecord(recordId);
        if (!canReadVia(msg.sender, org, patient, slot, recordId)) revert NoReadAccess(msg.sender, patient, recordId);
        emit RecordAccessed(recordId, patient, msg.sender, slot);
    }

    /// The department tag of a name: the first four bytes of its keccak256 (never 0).
    function departmentTag(string calldata department) public pure returns (uint32) {
        uint32 t = uint32(bytes4(keccak256(bytes(department))));
        return t == 0 ? 1 : t;
    }

    function orgOf(uint256 org) external view returns (uint40 createdAt) {
        return uint40(_orgs[org]);
    }

    function orgMemberOf(uint256 org, address provider)
        external
        view
        returns (uint40 joinedAt, uint40 leftAt, uint64 readsBefore, uint32 departmentTag_)
    {
        uint256 m = _orgMembers[org][provider];
        return (uint40(m), uint40(m >> 40), uint64(m >> 80), uint32(m >> 144));
    }

    function orgGrantOf(address patient, uint256 org)
        external
        view
        returns (uint40 expiry, uint32 readMask, uint32 departmentTag_, uint32 epoch)
    {
        uint256 g = _orgGrants[patient][org];
        return (uint40(g), uint32(g >> 40), uint32(g >> 72), uint32(g >> 104));
    }

    // ──────────── issue 24 § 2: erasure by crypto-shredding (helper erase) ────────────
    // CONTRACT.md § Erasure. A tombstone: the record's patient says the record is erased,
    // once. Records are events, so the contract cannot see whose record `id` is: the state
    // is keyed by the caller, and readers accept a RecordErased only when its `patient` is
    // the record's patient. Another account's tombstone lands under its own address, where
    // no reader of the record looks, and cannot block the real patient's. The reason is
    // sealed to the patient by the client (a fixed-length age file, like a sealed request):
    // nothing clinical in clear on chain (§ Privacy). canRead is left as it is: one more
    // cold slot would cost every read receipt 2.1k (logAccess ≤ 31.8k, § Gas); readers
    // check `erasedOf` or the event instead.

    /// patient → record id → erasedAt (block time; 0: not erased by this patient).
    mapping(address => mapping(uint256 => uint256)) internal _erased;

    /// Readers accept it only when `patient` is the record's patient; the first counts.
    event RecordErased(uint256 indexed id, address indexed patient, string sealedReason);

    error AlreadyErased(uint256 id, uint40 at);

    /// @notice Tombstones record `id` in the caller's name: the caller must be a registered
    /// patient; once per (patient, id). `sealedReason` is at most 4,096 bytes (sealed to the
    /// patient by the client; may be empty).
    function eraseRecord(uint256 id, string calldata sealedReason) external {
        if (id == 0 || id >= nextRecordId) revert UnknownRecord(id);
        if (bytes(sealedReason).length > MAX_REQUEST_REASON_LENGTH) revert InvalidReason();
        _requirePatient(msg.sender);
        uint256 e = _erased[msg.sender][id];
        if (e != 0) revert AlreadyErased(id, uint40(e));
        _erased[msg.sender][id] = block.timestamp;
        emit RecordErased(id, msg.sender, sealedReason);
    }

    /// @notice When `patient` erased record `id` (0: not erased by that patient).
    function erasedOf(address patient, uint256 id) external view returns (uint40 at) {
        return uint40(_erased[patient][id]);
    }

    // ─────────────────────────────── internals ──────────────────────────────

    function _grant(
        address patient,
        address provider,
        uint32 readMask,
        uint32 writeMask,
        uint40 expiry,
        bytes32 keyDelivery,
        bool direct
    ) internal {
        _requirePatient(patient);
        _requireGrantee(patient, provider);
        if (readMask == 0 && writeMask == 0) revert EmptyGrant();
        if (expiry <= block.timestamp) revert InvalidExpiry(expiry);
        uint256 g = _grants[patient][provider];
        // A direct grant is counted, so a revoke signed before it no longer applies (issue 20
        // point 2); a relayed one is not (a revoke must win over grants signed before it).
        if (direct) g = _countDirectGrant(g);
        // Keep epoch, emergency window, revoke time and count; replace expiry and masks.
        _grants[patient][provider] = (g & ~uint256((1 << 104) - 1)) | uint256(expiry) | (uint256(readMask) << 40)
            | (uint256(writeMask) << 72);
        emit Granted(patient, provider, readMask, writeMask, expiry, keyDelivery);
    }

    function _revoke(address patient, address provider) internal {
        // No role check (CONTRACT.md § Functions): a caller only ever touches its own slot,
        // and only a registered patient can have a live grant or an open emergency in it,
        // so a non-patient's revoke changes nothing anyone reads. Skipping the account read
        // keeps revoke under 30k gas; the CLI refuses non-patients before sending.
        uint256 g = _grants[patient][provider];
        uint32 epoch;
        unchecked {
            epoch = uint32(g >> 104) + 1; // wraps after 2^32 revokes of one provider: harmless
        }
        // Zero expiry, masks and emergency; the new epoch kills record-scoped grants and every
        // outstanding signed grant/approval; the revoke time holds off a reopened emergency.
        // One SSTORE as before.
        _grants[patient][provider] = (uint256(epoch) << 104) | (uint256(uint40(block.timestamp)) << 176);
        emit Revoked(patient, provider, epoch);
    }

    function _approve(address patient, uint256 requestId, uint40 expiry, bytes32 keyDelivery, bool direct) internal {
        _approveMask(patient, requestId, 0, expiry, keyDelivery, direct);
    }

    /// `chosen` 0: the request's own mask; else the patient's choice within it (issue 25).
    function _approveMask(
        address patient,
        uint256 requestId,
        uint32 chosen,
        uint40 expiry,
        bytes32 keyDelivery,
        bool direct
    ) internal {
        uint256 r = _requests[patient][requestId];
        if (r == 0) revert UnknownRequest(requestId);
        if (uint8(r >> 192) != 0) revert RequestAlreadyDecided(requestId);
        _requests[patient][requestId] = r | (uint256(1) << 192);
        address provider = address(uint160(r));
        uint32 readMask = uint32(r >> 160);
        if (chosen != 0) {
            if (chosen & ~readMask != 0) revert MaskNotRequested(readMask, chosen);
            readMask = chosen;
        }
        // Extends an existing grant: the requested types are added, the later expiry wins.
        uint256 g = _grants[patient][provider];
        uint40 current = uint40(g);
        uint32 read = uint32(g >> 40);
        uint32 write = uint32(g >> 72);
        if (current <= block.timestamp) {
            read = 0;
            write = 0;
        }
        uint40 newExpiry = expiry > current ? expiry : current;
        _grant(patient, provider, read | readMask, write, newExpiry, keyDelivery, direct);
        emit RequestApproved(requestId, patient, provider, newExpiry);
    }

    function _deny(address patient, uint256 requestId) internal {
        uint256 r = _requests[patient][requestId];
        if (r == 0) revert UnknownRequest(requestId);
        if (uint8(r >> 192) != 0) revert RequestAlreadyDecided(requestId);
        _requests[patient][requestId] = r | (uint256(2) << 192);
        emit RequestDenied(requestId, patient, address(uint160(r)));
    }

    function _useSignature(address signer, bytes32 structHash, uint256 nonce, uint256 deadline, bytes calldata sig)
        internal
    {
        uint256 expected = nonces[signer];
        if (nonce != expected) revert BadNonce(expected, nonce);
        _checkSignature(signer, structHash, deadline, sig);
        nonces[signer] = expected + 1;
    }

    /// The deadline, then `sig` must be `signer`'s EIP-712 signature of `structHash` here.
    function _checkSignature(address signer, bytes32 structHash, uint256 deadline, bytes calldata sig) internal view {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
        if (sig.length != 65) revert InvalidSignature();
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := calldataload(sig.offset)
            s := calldataload(add(sig.offset, 32))
            v := byte(0, calldataload(add(sig.offset, 64)))
        }
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) revert InvalidSignature();
        address recovered = ecrecover(digest, v, r, s);
        if (recovered == address(0) || recovered != signer) revert InvalidSignature();
    }

    function _checkWriter(address author, address patient, uint8 recordType) internal view {
        uint256 pAcct = _accounts[patient];
        if (_role(pAcct) != ROLE_PATIENT) revert NotPatient(patient);
        if (author == patient) return;
        uint256 aAcct = _accounts[author];
        if (_role(aAcct) != ROLE_PROVIDER) revert NotProvider(author);
        uint8 status = _status(aAcct);
        if (status == STATUS_SUSPENDED) revert SuspendedProvider(author);
        if (status != STATUS_VERIFIED) revert ProviderNotVerified(author);
        uint256 g = _grants[patient][author];
        if (uint40(g) <= block.timestamp || (g >> 72) & (uint256(1) << recordType) == 0) {
            revert NotAuthorized(author, patient, recordType);
        }
    }

    /// A signed grant or approval names the epoch it was signed in; any revoke since voids it.
    function _checkEpoch(address patient, address provider, uint32 epoch) internal view {
        uint32 current = uint32(_grants[patient][provider] >> 104);
        if (epoch != current) revert StaleEpoch(current, epoch);
    }

    function _checkRecordFields(uint8 recordType, uint8 cidCodec, bytes32 digest) internal pure {
        if (recordType > 31) revert InvalidRecordType(recordType);
        if (cidCodec != CODEC_RAW && cidCodec != CODEC_DAG_PB) revert InvalidCodec(cidCodec);
        if (digest == bytes32(0)) revert InvalidDigest();
    }

    /// CONTRACT.md § Recipients: exact length and prefix per kind, lower-case bech32 data
    /// characters. A cheap shape check (no checksum, no curve check): it stops garbage and
    /// unknown kinds at the door; clients still skip a reader whose key does not parse
    /// (SHARING.md § 1.5).
    function _checkRecipient(string calldata recipient) internal pure {
        uint256 len = bytes(recipient).length;
        uint256 start;
        if (len == X25519_RECIPIENT_LENGTH) {
            if (bytes4(bytes(recipient[0:4])) != "age1") revert InvalidRecipient();
            start = 4;
        } else if (len == HYBRID_RECIPIENT_LENGTH) {
            if (bytes7(bytes(recipient[0:7])) != "age1pq1") revert InvalidRecipient();
            start = 7;
        } else {
            revert InvalidRecipient();
        }
        uint256 bad;
        // 32 bytes per step (SWAR): for each byte b, flag bit 7 of its lane when b is a
        // bech32 data character: '0'..'9' except '1', or 'a'..'z' except 'b', 'i', 'o'.
        // Lanes are < 0x80 after masking, so the additions below never carry across lanes.
        assembly {
            let ONES := 0x0101010101010101010101010101010101010101010101010101010101010101
            let H := mul(ONES, 0x80)
            let L7 := mul(ONES, 0x7f)
            let p := add(recipient.offset, start)
            let end := add(recipient.offset, len)
            for {} lt(p, end) { p := add(p, 32) } {
                let w := calldataload(p)
                // lanes inside the string: the first min(32, end - p) bytes (high bytes)
                let need := H
                let n := sub(end, p)
                if lt(n, 32) { need := and(H, not(shr(mul(n, 8), not(0)))) }
                let x := and(w, L7)
                // bit 7 set ⇔ lane ≥ lo: x + (0x80 - lo); lane ≤ hi ⇔ bit 7 clear in x + (0x7f - hi)
                let digit := and(and(add(x, mul(ONES, 0x50)), not(add(x, mul(ONES, 0x46)))), H)
                let lower := and(and(add(x, mul(ONES, 0x1f)), not(add(x, mul(ONES, 0x05)))), H)
                // lane == c ⇔ bit 7 clear in (x ^ c) + 0x7f
                let eq1 := and(not(add(xor(x, mul(ONES, 0x31)), L7)), H)
                let eqb := and(not(add(xor(x, mul(ONES, 0x62)), L7)), H)
                let eqi := and(not(add(xor(x, mul(ONES, 0x69)), L7)), H)
                let eqo := and(not(add(xor(x, mul(ONES, 0x6f)), L7)), H)
                let ok := or(and(digit, not(eq1)), and(lower, not(or(eqb, or(eqi, eqo)))))
                // any needed lane that is not ok, or that had bit 7 set (≥ 0x80)
                bad := or(bad, and(need, or(not(ok), w)))
            }
        }
        if (bad != 0) revert InvalidRecipient();
    }

    function _requirePatient(address account) internal view {
        if (_role(_accounts[account]) != ROLE_PATIENT) revert NotPatient(account);
    }

    function _requireVerified(address provider) internal view {
        uint256 acct = _accounts[provider];
        if (_role(acct) != ROLE_PROVIDER) revert NotProvider(provider);
        uint8 status = _status(acct);
        if (status == STATUS_SUSPENDED) revert SuspendedProvider(provider);
        if (status != STATUS_VERIFIED) revert ProviderNotVerified(provider);
    }

    /// A grantee must be registered (so its recipient is known) and not be the patient.
    function _requireGrantee(address patient, address provider) internal view {
        if (provider == patient) revert SelfGrant();
        if (_role(_accounts[provider]) == ROLE_NONE) revert NotRegistered(provider);
    }

    function _role(uint256 acct) internal pure returns (uint8) {
        return uint8(acct >> 160);
    }

    function _status(uint256 acct) internal pure returns (uint8) {
        return uint8(acct >> 168);
    }

    function _withStatus(uint256 acct, uint8 status) internal pure returns (uint256) {
        return (acct & ~(uint256(0xFF) << 168)) | (uint256(status) << 168);
    }
}
