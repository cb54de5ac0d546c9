-- CreateEnum
CREATE TYPE "VirtualAccountStatus" AS ENUM ('pending', 'active');

-- CreateTable
CREATE TABLE "virtual_accounts" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "align_virtual_account_id" TEXT,
    "params_key" TEXT NOT NULL,
    "status" "VirtualAccountStatus" NOT NULL DEFAULT 'pending',
    "align_status" TEXT,
    "source_currency" TEXT NOT NULL,
    "source_rails" TEXT,
    "destination_token" TEXT NOT NULL,
    "destination_network" TEXT NOT NULL,
    "destination_address" TEXT NOT NULL,
    "deposit_instructions" JSONB,
    "outcome_unknown_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "virtual_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "virtual_accounts_align_virtual_account_id_key" ON "virtual_accounts"("align_virtual_account_id");

-- CreateIndex
CREATE INDEX "virtual_accounts_customer_id_created_at_id_idx" ON "virtual_accounts"("customer_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "virtual_accounts_customer_id_params_key_key" ON "virtual_accounts"("customer_id", "params_key");

-- AddForeignKey
ALTER TABLE "virtual_accounts" ADD CONSTRAINT "virtual_accounts_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
