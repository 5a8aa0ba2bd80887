package nodedeps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck_namesWhatIsMissingAndTheCommand(t *testing.T) {
	cases := []struct {
		name    string
		install map[string]string // node_modules/<name>/package.json version; nil: no node_modules
		want    []string
	}{
		{"no node_modules", nil, []string{"node_modules/ does not exist", "npm ci --no-audit --no-fund"}},
		{"one package missing", map[string]string{"jsonata": "2.2.2"}, []string{"aws-cdk 2.1148.1 is not installed", "npm ci"}},
		{"stale version", map[string]string{"jsonata": "2.2.1", "aws-cdk": "2.1148.1"}, []string{"jsonata: 2.2.1 installed, package.json pins 2.2.2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// GIVEN a project whose package.json pins two packages
			root := t.TempDir()
			write(t, filepath.Join(root, "go.mod"), "module example\n")
			write(t, filepath.Join(root, "package.json"), `{"devDependencies": {"jsonata": "2.2.2", "aws-cdk": "2.1148.1"}}`)
			for name, v := range c.install {
				write(t, filepath.Join(root, "node_modules", name, "package.json"), `{"version": "`+v+`"}`)
			}
			t.Chdir(root)

			// WHEN the tooling is checked
			err := Check()

			// THEN the error names the problem and how to fix it
			if err == nil {
				t.Fatal("Check() = nil, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestCheck_passesInThisProject(t *testing.T) {
	// GIVEN this project after `npm ci` (as `make test` runs it)
	// WHEN the tooling is checked
	// THEN nothing is missing
	if err := Check(); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
