package store

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// migrationFiles holds migrations/{sqlite,postgres}/NNNN_name.{up,down}.sql: one folder per
// dialect, because the two spell column types, sequences and DROP COLUMN differently.
//
//go:embed migrations
var migrationFiles embed.FS

// Migrations lists the migrations embedded for this database's dialect, oldest first.
func (db *DB) Migrations() ([]Migration, error) {
	dir := "migrations/" + db.d.name
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		base, direction, _ := strings.Cut(name, ".")
		num, title, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration file %s: no version number", e.Name())
		}
		body, err := migrationFiles.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Version: v, Name: title}
			byVersion[v] = m
		}
		switch direction {
		case "up":
			m.up = string(body)
		case "down":
			m.down = string(body)
		default:
			return nil, fmt.Errorf("migration file %s: want .up.sql or .down.sql", e.Name())
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.up == "" || m.down == "" {
			return nil, fmt.Errorf("migration %04d_%s: needs both an up and a down file", m.Version, m.Name)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
