package catalog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/catalog"
)

// TestTypeTable_isTheREADMEs checks the README's type table against the
// mapping the state machine uses.
func TestTypeTable_isTheREADMEs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	const begin, end = "<!-- types:begin", "<!-- types:end -->"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	require.True(t, i >= 0 && j > i, "README has no types block")
	block := s[i:j]
	block = block[strings.Index(block, "\n")+1:]
	assert.Equal(t, catalog.TypeTableMarkdown(), block, "regenerate the README's type table from catalog.TypeTableMarkdown")
}

// TestTypeTables_mapEachSpellingOnce: a spelling in two rows would make the
// table ambiguous.
func TestTypeTables_mapEachSpellingOnce(t *testing.T) {
	for _, rows := range [][]catalog.TypeMapping{catalog.PostgreSQLTypes(), catalog.ExportedTypes()} {
		seen := map[string]bool{}
		for _, r := range rows {
			for _, k := range r.OriginalTypes {
				assert.False(t, seen[k], k)
				assert.Equal(t, strings.ToLower(k), k, "spellings are matched lowercase")
				seen[k] = true
			}
		}
	}
}
