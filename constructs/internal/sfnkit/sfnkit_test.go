package sfnkit_test

import (
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
)

// retrier renders the Retry field of a state that retries with r.
func retrier(t *testing.T, r *sfn.RetryProps) []any {
	t.Helper()
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Retry"), nil)
	p := sfn.NewParallel(stack, jsii.String("P"), nil)
	p.Branch(sfn.NewPass(stack, jsii.String("Branch"), nil))
	p.AddRetry(r)
	st := *p.ToStateJson(sfn.QueryLanguage_JSONATA)
	retry, ok := st["Retry"].([]any)
	require.True(t, ok, "state JSON: %v", st)
	return retry
}

func TestRetry_rendersTheBackoffInSeconds(t *testing.T) {
	tests := []struct {
		name string
		give sfnkit.Backoff
		want map[string]any
	}{
		{"capped", sfnkit.Backoff{Interval: 15 * time.Second, MaxAttempts: 4, MaxDelay: time.Minute}, map[string]any{
			"ErrorEquals": []any{"E"}, "IntervalSeconds": float64(15), "MaxAttempts": float64(4),
			"BackoffRate": float64(2), "MaxDelaySeconds": float64(60), "JitterStrategy": "FULL",
		}},
		{"no cap", sfnkit.Backoff{Interval: time.Second, MaxAttempts: 8}, map[string]any{
			"ErrorEquals": []any{"E"}, "IntervalSeconds": float64(1), "MaxAttempts": float64(8),
			"BackoffRate": float64(2), "JitterStrategy": "FULL",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []any{tt.want}, retrier(t, sfnkit.Retry(tt.give, "E")))
		})
	}
}

func TestStartExecutionErrors_isANewSliceEachCall(t *testing.T) {
	a := sfnkit.StartExecutionErrors()
	a[0] = "changed"
	assert.Equal(t, "StepFunctions.SdkClientException", sfnkit.StartExecutionErrors()[0])
}
