-- DropIndex
DROP INDEX "event_deliveries_endpoint_id_customer_id_sequence_idx";

-- A customer's pending deliveries to an endpoint, in sequence order: the relay asks whether one is
-- pending before it makes the next one wait, and an ending head finds the one after it.
CREATE INDEX "event_deliveries_pending_idx" ON "event_deliveries"("endpoint_id", "customer_id", "sequence") WHERE (status = 'pending');

-- Existing pending deliveries: only the earliest of a customer's per endpoint keeps (or gets) its
-- next attempt; the others wait (null) until it ends. One held by a live lease keeps its time, so
-- its send in flight is recorded as usual.
UPDATE "event_deliveries" d
   SET next_attempt_at = CASE WHEN w.rn = 1 THEN coalesce(d.next_attempt_at, now()) END
  FROM (SELECT endpoint_id, event_id,
               row_number() OVER (PARTITION BY endpoint_id, customer_id ORDER BY sequence) AS rn
          FROM "event_deliveries" WHERE status = 'pending') w
 WHERE d.endpoint_id = w.endpoint_id AND d.event_id = w.event_id
   AND ((w.rn = 1 AND d.next_attempt_at IS NULL)
     OR (w.rn > 1 AND d.next_attempt_at IS NOT NULL AND (d.lease_until IS NULL OR d.lease_until <= now())));

-- The heads (the only pending deliveries with a next attempt), per endpoint by when they are due:
-- the claim reads these, never the deliveries waiting behind them. A leased head keeps the
-- next_attempt_at it was claimed at (in the past), so the live leases are found here too; nothing
-- indexes lease_until, so a claim's update stays eligible for HOT.
CREATE INDEX "event_deliveries_heads_idx" ON "event_deliveries"("endpoint_id", "next_attempt_at", "position") WHERE (status = 'pending' AND next_attempt_at IS NOT NULL);
