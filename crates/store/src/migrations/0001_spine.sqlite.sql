-- The audit trail refuses updates and deletes. Someone with direct write access can still drop
-- these triggers; the hash chain is what makes such tampering detectable (verify-audit).
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
