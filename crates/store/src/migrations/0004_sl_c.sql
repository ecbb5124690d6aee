-- Components carry a capability vector (SL-C) per foundational requirement.
ALTER TABLE asset ADD COLUMN sl_c_fr1 BIGINT;
ALTER TABLE asset ADD COLUMN sl_c_fr2 BIGINT;
ALTER TABLE asset ADD COLUMN sl_c_fr3 BIGINT;
ALTER TABLE asset ADD COLUMN sl_c_fr4 BIGINT;
ALTER TABLE asset ADD COLUMN sl_c_fr5 BIGINT;
ALTER TABLE asset ADD COLUMN sl_c_fr6 BIGINT;
ALTER TABLE asset ADD COLUMN sl_c_fr7 BIGINT;
-- Zones may declare their subnets (CIDR, comma-separated); model rules check asset addresses.
ALTER TABLE zone ADD COLUMN subnets TEXT;
