package cdkjson

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestFeatureFlags_areThoseCdkInitWritesForThePinnedCdk compares cdk.json
// with the recommended-feature-flags.json of the aws-cdk-lib that go.mod pins
// (the flags `cdk init` writes for that version), so a CDK upgrade fails here
// until cdk.json has the new version's flags.
func TestFeatureFlags_areThoseCdkInitWritesForThePinnedCdk(t *testing.T) {
	// GIVEN the recommended flags shipped in the pinned aws-cdk-lib
	want := recommendedFlags(t)

	// WHEN cdk.json's flags are read from this package's directory
	got, err := FeatureFlags()
	if err != nil {
		t.Fatal(err)
	}

	// THEN they are the same flags with the same values
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := got[k]
		switch {
		case !ok:
			t.Errorf("cdk.json lacks %s (recommended: %v): add it, review what it changes in the templates, refresh the golden files", k, want[k])
		case !reflect.DeepEqual(v, want[k]):
			t.Errorf("cdk.json sets %s to %v, the pinned aws-cdk-lib recommends %v", k, v, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("cdk.json sets %s, which the pinned aws-cdk-lib does not recommend: remove it", k)
		}
	}
}

func TestFeatureFlags_failsOutsideTheProject(t *testing.T) {
	// GIVEN a working directory with no cdk.json in it or above it
	t.Chdir(t.TempDir())

	// WHEN the flags are read
	_, err := FeatureFlags()

	// THEN the error says where to run from
	if err == nil || !strings.Contains(err.Error(), "no cdk.json") {
		t.Fatalf("err = %v, want one saying there is no cdk.json", err)
	}
}

// recommendedFlags reads package/recommended-feature-flags.json from the
// aws-cdk-lib tarball that the pinned aws-cdk-go module embeds.
func recommendedFlags(t *testing.T) map[string]any {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-cdk-go/awscdk/v2").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/aws/aws-cdk-go/awscdk/v2: %v", err)
	}
	tarballs, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "jsii", "aws-cdk-lib-*.tgz"))
	if err != nil || len(tarballs) != 1 {
		t.Fatalf("aws-cdk-lib tarballs in the aws-cdk-go module: %v (%v)", tarballs, err)
	}
	f, err := os.Open(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s has no package/recommended-feature-flags.json", tarballs[0])
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != "package/recommended-feature-flags.json" {
			continue
		}
		var flags map[string]any
		if err := json.NewDecoder(tr).Decode(&flags); err != nil {
			t.Fatalf("%s: recommended-feature-flags.json: %v", tarballs[0], err)
		}
		return flags
	}
}
