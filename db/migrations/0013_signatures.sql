-- An agent's signature on a property, under their replies to customers; NULL: the default
-- (their name and the property's).
ALTER TABLE property_agents ADD COLUMN signature TEXT;
