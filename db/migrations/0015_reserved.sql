-- Placeholder: version 15 belongs to another branch. When both are merged, that branch's 0015 file
-- replaces this one (delete this file).
SELECT 1;
