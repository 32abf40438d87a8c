-- Placeholder: version 14 belongs to another branch. When both are merged, that branch's 0014 file
-- replaces this one (delete this file).
SELECT 1;
