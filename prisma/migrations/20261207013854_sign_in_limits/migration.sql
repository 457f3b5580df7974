-- DropTable
DROP TABLE "sign_in_throttles";

-- CreateTable
CREATE TABLE "sign_in_limits" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "sign_in_limits_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "known_sign_in_addresses" (
    "user_id" UUID NOT NULL,
    "address_hash" TEXT NOT NULL,
    "last_success_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "known_sign_in_addresses_pkey" PRIMARY KEY ("user_id","address_hash")
);

-- CreateIndex
CREATE INDEX "sign_in_limits_expire_idx" ON "sign_in_limits"("expire");

-- AddForeignKey
ALTER TABLE "known_sign_in_addresses" ADD CONSTRAINT "known_sign_in_addresses_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

