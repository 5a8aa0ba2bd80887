package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCompress_foldsPollLoops(t *testing.T) {
	got := compress([]string{"Start", "Describe", "Finished?", "Wait", "Describe", "Finished?", "Wait", "Describe", "Finished?", "Copy"})
	assert.Equal(t, []string{"Start", "[Describe → Finished? → Wait] ×2", "Describe", "Finished?", "Copy"}, got)
}
