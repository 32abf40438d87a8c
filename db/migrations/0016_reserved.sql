-- Placeholder: version 16 belongs to another branch. When both are merged, that branch's 0016 file
-- replaces this one (delete this file).
SELECT 1;
