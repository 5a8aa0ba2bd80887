package sim

import (
	"testing"

	"github.com/snapshotlake/snapshotlake/internal/nodedeps"
)

// TestMain ends a bare `go test` without node_modules with what to install.
func TestMain(m *testing.M) { nodedeps.Main(m) }
