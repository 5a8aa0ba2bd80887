// Package cdkjson reads the project's cdk.json, so that what is synthesized
// in-process (the tests, the local run) uses the feature flags `cdk synth`
// does.
package cdkjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FeatureFlags returns the CDK feature flags of the project's cdk.json (the
// context keys starting with "@aws-cdk"), found in the working directory or
// the nearest one above it, as a new map. The other context keys of cdk.json
// (the app's defaults, such as "demo") are not returned.
func FeatureFlags() (map[string]any, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		path := filepath.Join(dir, "cdk.json")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			var cdkJSON struct {
				Context map[string]any `json:"context"`
			}
			if err := json.Unmarshal(b, &cdkJSON); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			flags := map[string]any{}
			for k, v := range cdkJSON.Context {
				if strings.HasPrefix(k, "@aws-cdk") {
					flags[k] = v
				}
			}
			return flags, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, errors.New("no cdk.json in the working directory or above it: run from the project")
		}
		dir = parent
	}
}
