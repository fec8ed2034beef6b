import type Database from 'better-sqlite3';

export interface OutboxRow {
  id: number;
  body: string;
}

type Statement<Params extends unknown[], Row = unknown> = Database.Statement<Params, Row>;

export interface OutboxStatements {
  count: Statement<[], { n: number }>;
  peek: Statement<[number, number], OutboxRow>;
  insert: Statement<[string | null, number, string]>;
  insertLegacy: Statement<[{ seq: number; line: string }]>;
  remove: Statement<[string | null, number]>;
  removeId: Statement<[number]>;
  removeThrough: Statement<[number]>;
  idOf: Statement<[string | null, number], { id: number }>;
  firstAfter: Statement<[number], { id: number | null }>;
  dropOldest: Statement<[number]>;
}

/** The outbox's SQL, prepared once per connection. */
export function prepareOutboxStatements(db: Database.Database): OutboxStatements {
  return {
    count: db.prepare('SELECT count(*) AS n FROM outbox'),
    peek: db.prepare('SELECT id, body FROM outbox WHERE id > ? ORDER BY id LIMIT ?'),
    insert: db.prepare('INSERT INTO outbox (epoch, seq, body) VALUES (?, ?, ?)'),
    insertLegacy: db.prepare(
      'INSERT INTO outbox (epoch, seq, body) SELECT NULL, @seq, @line WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE epoch IS NULL AND seq = @seq)',
    ),
    remove: db.prepare('DELETE FROM outbox WHERE epoch IS ? AND seq = ?'),
    removeId: db.prepare('DELETE FROM outbox WHERE id = ?'),
    removeThrough: db.prepare('DELETE FROM outbox WHERE id <= ?'),
    idOf: db.prepare('SELECT id FROM outbox WHERE epoch IS ? AND seq = ?'),
    firstAfter: db.prepare('SELECT min(id) AS id FROM outbox WHERE id > ?'),
    dropOldest: db.prepare('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)'),
  };
}
