-- The live KYC session of a customer, read with a fresh snapshot. Used right after locking the
-- customer row in the same statement (kyc.repository.ts, LOCKED_READ_SQL): a plain join there would
-- see kyc_sessions as of the statement's start, i.e. before it waited for the lock, and miss the
-- session that the lock's previous holder just committed. A VOLATILE PL/pgSQL function takes a new
-- snapshot for its query (and is never inlined), so lock and read are one round trip instead of two.
CREATE FUNCTION kyc_live_session(p_customer_id uuid)
  RETURNS SETOF kyc_sessions
  LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  RETURN QUERY SELECT * FROM kyc_sessions WHERE live_customer_id = p_customer_id;
END
$$;
