"""The SQL of the full-text index, shared by migrations 0004–0008 and search.ensure_sqlite_fts."""

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS conversations_message_fts USING fts5("
    "text, content='conversations_message', content_rowid='id', tokenize='unicode61 remove_diacritics 2', "
    # Search asks only for words and a prefix (search.py), never phrases: an index without
    # positions is enough, and it makes every ingested message ~13% cheaper to index.
    "detail=none)",
    "CREATE TRIGGER IF NOT EXISTS conversations_message_fts_ai AFTER INSERT ON conversations_message BEGIN "
    "INSERT INTO conversations_message_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS conversations_message_fts_ad AFTER DELETE ON conversations_message BEGIN "
    "INSERT INTO conversations_message_fts(conversations_message_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS conversations_message_fts_au AFTER UPDATE OF text ON conversations_message BEGIN "
    "INSERT INTO conversations_message_fts(conversations_message_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO conversations_message_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO conversations_message_fts(conversations_message_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS conversations_message_fts_ai",
    "DROP TRIGGER IF EXISTS conversations_message_fts_ad",
    "DROP TRIGGER IF EXISTS conversations_message_fts_au",
    "DROP TABLE IF EXISTS conversations_message_fts",
]
# The index as 0004 created it; 0006 replaces it with one that ignores accents (and puts this
# one back when reversed).
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS msg_text_fts ON conversations_message USING GIN (to_tsvector('simple', text))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS msg_text_fts"]

# 0008, SQLite: the ingestion path indexes each batch with ONE `INSERT … SELECT` after its insert
# (search.indexed_in_bulk). A per-row trigger makes FTS5 flush its pending terms at the end of
# every row's statement, a tiny segment per message to merge later: 6× the work. The trigger
# stays for every other writer, but skips the rows up to the mark that the batch sets, under
# the write lock, before inserting them.
SQLITE_BULK_FORWARD = [
    "CREATE TABLE IF NOT EXISTS conversations_message_fts_bulk (upto INTEGER NOT NULL)",
    "INSERT INTO conversations_message_fts_bulk (upto) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM conversations_message_fts_bulk)",
    "DROP TRIGGER IF EXISTS conversations_message_fts_ai",
    "CREATE TRIGGER conversations_message_fts_ai AFTER INSERT ON conversations_message "
    "WHEN new.id > (SELECT upto FROM conversations_message_fts_bulk) BEGIN "
    "INSERT INTO conversations_message_fts(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_BULK_BACKWARD = [
    "DROP TRIGGER IF EXISTS conversations_message_fts_ai",
    SQLITE_FORWARD[1],
    "DROP TABLE IF EXISTS conversations_message_fts_bulk",
]
