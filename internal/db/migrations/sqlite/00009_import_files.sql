-- +goose Up
-- An import's file lives apart from its progress, in pieces of a megabyte:
-- in the same row, every progress update rewrote the whole file and every
-- status poll read through it, and reading it back held it twice over.
CREATE TABLE import_files (
    import_id  INTEGER NOT NULL REFERENCES imports(id),
    seq        INTEGER NOT NULL,
    data       BLOB NOT NULL,
    PRIMARY KEY (import_id, seq)
);
INSERT INTO import_files (import_id, seq, data) SELECT id, 0, data FROM imports WHERE length(data) > 0;
ALTER TABLE imports DROP COLUMN data;

-- +goose Down
ALTER TABLE imports ADD COLUMN data BLOB NOT NULL DEFAULT '';
UPDATE imports SET data = COALESCE((SELECT group_concat(data, '') FROM (SELECT data FROM import_files f
    WHERE f.import_id = imports.id ORDER BY seq)), '');
DROP TABLE import_files;
