-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "sync_due_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "leases" (
    "key" TEXT NOT NULL,
    "claim_id" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "leases_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "customers_sync_due_at_idx" ON "customers"("sync_due_at");

-- Link renewal no longer locks the customer row across Align's call (it takes a lease in "leases"),
-- so the fresh-snapshot read after that lock (migration 20261127151500) has no caller left.
DROP FUNCTION kyc_live_session(uuid);
