-- Catalog change notifications (docs/decisions/0015-catalog-cache.md). Each instance caches clients,
-- scopes and the signing-key ring in process and LISTENs on "gatehouse_catalog"; every change to those
-- tables, whoever makes it (dashboard, CLI, psql), tells every instance which entry to drop. PostgreSQL
-- delivers a notification when its transaction commits, to every listening session of the database.
-- Payload: '<table>:<key>' (key: client_id, scope name, kid), or '<table>' alone for the whole table.
CREATE FUNCTION "gatehouse_notify_catalog"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  key_column text := TG_ARGV[0];
  keys text[] := ARRAY[]::text[];
  entry text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('gatehouse_catalog', TG_TABLE_NAME);
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN keys := keys || (to_jsonb(OLD) ->> key_column); END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN keys := keys || (to_jsonb(NEW) ->> key_column); END IF;
  FOREACH entry IN ARRAY keys LOOP
    -- A payload is limited to 8000 bytes: a key too long for one drops the whole table instead.
    IF octet_length(entry) > 4000 THEN
      PERFORM pg_notify('gatehouse_catalog', TG_TABLE_NAME);
    ELSE
      -- Identical notifications of one transaction are delivered once (an UPDATE that keeps its key).
      PERFORM pg_notify('gatehouse_catalog', TG_TABLE_NAME || ':' || entry);
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER "applications_notify_catalog" AFTER INSERT OR UPDATE OR DELETE ON "applications"
  FOR EACH ROW EXECUTE FUNCTION "gatehouse_notify_catalog"('client_id');
CREATE TRIGGER "applications_notify_catalog_truncate" AFTER TRUNCATE ON "applications"
  FOR EACH STATEMENT EXECUTE FUNCTION "gatehouse_notify_catalog"('client_id');
CREATE TRIGGER "scopes_notify_catalog" AFTER INSERT OR UPDATE OR DELETE ON "scopes"
  FOR EACH ROW EXECUTE FUNCTION "gatehouse_notify_catalog"('name');
CREATE TRIGGER "scopes_notify_catalog_truncate" AFTER TRUNCATE ON "scopes"
  FOR EACH STATEMENT EXECUTE FUNCTION "gatehouse_notify_catalog"('name');
CREATE TRIGGER "signing_keys_notify_catalog" AFTER INSERT OR UPDATE OR DELETE ON "signing_keys"
  FOR EACH ROW EXECUTE FUNCTION "gatehouse_notify_catalog"('kid');
CREATE TRIGGER "signing_keys_notify_catalog_truncate" AFTER TRUNCATE ON "signing_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "gatehouse_notify_catalog"('kid');
