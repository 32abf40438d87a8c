-- Placeholder: version 17 belongs to another branch. When both are merged, that branch's 0017 file
-- replaces this one (delete this file).
SELECT 1;
