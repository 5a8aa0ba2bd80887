package s3fake

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GIVEN objects under two prefixes
// WHEN Sizes lists one prefix
// THEN it gives that prefix's keys in key order with their sizes, like Objects.
func TestSizesMatchesObjects(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	require.NoError(t, f.PutDeclared("b", "p/b", 20))
	require.NoError(t, f.PutDeclared("b", "p/a", 10))
	require.NoError(t, f.PutObject("b", "q/c", []byte("xyz")))
	keys, sizes := f.Sizes("b", "p/")
	assert.Equal(t, []string{"p/a", "p/b"}, keys)
	assert.Equal(t, []int64{10, 20}, sizes)
	for i, o := range f.Objects("b", "p/") {
		assert.Equal(t, keys[i], o.Key)
		assert.Equal(t, sizes[i], o.Size)
	}
	keys, _ = f.Sizes("missing", "")
	assert.Empty(t, keys)
}
