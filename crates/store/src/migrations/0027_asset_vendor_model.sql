-- Advisory matching groups assets by vendor and model (issue 13's scale benchmark): the groups
-- are read from this index alone, and only the assets of the groups an advisory names are
-- loaded, instead of every asset on each upload.
CREATE INDEX asset_vendor_model ON asset (vendor, model);
