-- CreateEnum
CREATE TYPE "CustomerType" AS ENUM ('individual', 'corporate');

-- CreateEnum
CREATE TYPE "KycStatus" AS ENUM ('not_started', 'pending', 'approved', 'rejected');

-- CreateEnum
CREATE TYPE "KycSubStatus" AS ENUM ('kyc_form_submission_started', 'kyc_form_submission_accepted', 'kyc_form_resubmission_required');

-- CreateEnum
CREATE TYPE "ObservationSource" AS ENUM ('webhook', 'sync', 'simulation', 'session');

-- CreateEnum
CREATE TYPE "KycSessionReason" AS ENUM ('none_yet', 'expired', 'expiring', 'forced', 'resubmission_required');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('pending', 'processed', 'failed', 'ignored');

-- CreateTable
CREATE TABLE "customers" (
    "id" UUID NOT NULL,
    "align_customer_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "email_normalized" TEXT NOT NULL,
    "type" "CustomerType" NOT NULL,
    "first_name" TEXT,
    "last_name" TEXT,
    "company_name" TEXT,
    "kyc_status" "KycStatus" NOT NULL DEFAULT 'not_started',
    "kyc_sub_status" "KycSubStatus",
    "kyc_observed_at" TIMESTAMPTZ(3),
    "kyc_updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rails" JSONB NOT NULL DEFAULT '[]',
    "last_synced_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "kyc_sessions" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "live_customer_id" UUID,
    "url" TEXT NOT NULL,
    "reason" "KycSessionReason" NOT NULL,
    "issued_status" "KycStatus" NOT NULL,
    "issued_sub_status" "KycSubStatus",
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "superseded_at" TIMESTAMPTZ(3),

    CONSTRAINT "kyc_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "kyc_status_history" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "status" "KycStatus" NOT NULL,
    "sub_status" "KycSubStatus",
    "previous_status" "KycStatus" NOT NULL,
    "previous_sub_status" "KycSubStatus",
    "source" "ObservationSource" NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "kyc_status_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "body_hash" TEXT NOT NULL,
    "raw_body" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "entity_type" TEXT,
    "entity_id" TEXT NOT NULL,
    "event_created_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "observed_status" TEXT,
    "observed_sub_status" TEXT,
    "outcome" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "customers_align_customer_id_key" ON "customers"("align_customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "customers_email_normalized_key" ON "customers"("email_normalized");

-- CreateIndex
CREATE INDEX "customers_created_at_id_idx" ON "customers"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "customers_kyc_status_created_at_idx" ON "customers"("kyc_status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "customers_kyc_status_last_synced_at_idx" ON "customers"("kyc_status", "last_synced_at");

-- CreateIndex
CREATE UNIQUE INDEX "kyc_sessions_live_customer_id_key" ON "kyc_sessions"("live_customer_id");

-- CreateIndex
CREATE INDEX "kyc_sessions_customer_id_created_at_idx" ON "kyc_sessions"("customer_id", "created_at");

-- CreateIndex
CREATE INDEX "kyc_status_history_customer_id_occurred_at_idx" ON "kyc_status_history"("customer_id", "occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_body_hash_key" ON "webhook_deliveries"("body_hash");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_entity_id_status_idx" ON "webhook_deliveries"("entity_id", "status");

-- CreateIndex
CREATE INDEX "webhook_deliveries_received_at_id_idx" ON "webhook_deliveries"("received_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "kyc_sessions" ADD CONSTRAINT "kyc_sessions_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "kyc_status_history" ADD CONSTRAINT "kyc_status_history_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
