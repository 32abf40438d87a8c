-- Reserved for another branch's migration; the merger deletes this file.
SELECT 1;
