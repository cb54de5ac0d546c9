-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "redacted_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "webhook_deliveries" ALTER COLUMN "raw_body" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "customers_created_at_kyc_status_id_idx" ON "customers"("created_at", "kyc_status", "id");

-- CreateIndex
CREATE INDEX "customers_pending_kyc_updated_at_idx" ON "customers"("kyc_updated_at") WHERE (kyc_status = 'pending');

-- CreateIndex
CREATE INDEX "kyc_status_history_customer_id_status_occurred_at_idx" ON "kyc_status_history"("customer_id", "status", "occurred_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_body_kept_received_at_idx" ON "webhook_deliveries"("received_at") WHERE (raw_body IS NOT NULL);
