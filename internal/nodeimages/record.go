package nodeimages

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// StandInRecord is how the stand-in julia of JuliaStandIn (and of the
// notebook image) was started, as it records itself in
// $JRUN_DIR/.standin/<hostname>.json (standin/main.go writes it; this is the
// part tests read).
type StandInRecord struct {
	StandIn  string            `json:"standin"`
	Hostname string            `json:"hostname"`
	PID      int               `json:"pid"`
	Argv     []string          `json:"argv"`
	Cwd      string            `json:"cwd"`
	Env      map[string]string `json:"env"`
	UID      int               `json:"uid"`
	GID      int               `json:"gid"`
	Mode     string            `json:"mode"` // script, eval, worker, repl
	Loads    []string          `json:"loads"`
	Script   string            `json:"script"`
	Args     []string          `json:"args"`
	Stdin    *string           `json:"stdin"`
	Listen   string            `json:"listen"`
}

// ReadStandInRecords returns the records in runDir/.standin by host name;
// none when the directory does not exist.
func ReadStandInRecords(runDir string) (map[string]StandInRecord, error) {
	dir := filepath.Join(runDir, ".standin")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]StandInRecord{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var r StandInRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out[r.Hostname] = r
	}
	return out, nil
}
