-- Placeholder: version 18 belongs to another branch. When both are merged, that branch's 0018 file
-- replaces this one (delete this file).
SELECT 1;
