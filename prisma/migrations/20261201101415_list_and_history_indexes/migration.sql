-- DropIndex
DROP INDEX "customers_kyc_status_created_at_idx";

-- DropIndex
DROP INDEX "kyc_status_history_customer_id_occurred_at_idx";

-- CreateIndex
CREATE INDEX "customers_kyc_status_created_at_id_idx" ON "customers"("kyc_status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "kyc_status_history_customer_id_occurred_at_recorded_at_idx" ON "kyc_status_history"("customer_id", "occurred_at", "recorded_at");
