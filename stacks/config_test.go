package stacks_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/stacks"
)

func getter(ctx map[string]any) func(string) any {
	return func(k string) any { return ctx[k] }
}

func TestConfigFromContext_readsValues(t *testing.T) {
	tests := []struct {
		name string
		give map[string]any
		want stacks.Config
	}{
		{"default is the demo alone", nil, stacks.Config{Demo: true}},
		{
			"source from -c strings",
			map[string]any{
				"demo": "false", "sourceClusters": "analytics-db, reporting-db", "sourceInstances": "orders-db",
				"destinationBucket": "analytics-bucket", "destinationAccount": "444455556666",
				"destinationKeyArn": "arn:aws:kms:ap-northeast-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
				"s3Prefix":          "exports", "exportOnly": "postgres.public", "maxConcurrency": "500",
				"pollInterval": "30s", "exportTimeout": "36h", "partitionKey": "dt",
			},
			stacks.Config{
				Source: &stacks.SourceConfig{
					ClusterIdentifiers: []string{"analytics-db", "reporting-db"}, InstanceIdentifiers: []string{"orders-db"},
					DestinationBucket: "analytics-bucket", DestinationAccount: "444455556666",
					DestinationKeyArn: "arn:aws:kms:ap-northeast-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
				},
				Pipeline: stacks.PipelineConfig{
					S3Prefix: "exports", ExportOnly: []string{"postgres.public"}, MaxConcurrency: 500,
					PollInterval: 30 * time.Second, ExportTimeout: 36 * time.Hour, PartitionKey: "dt",
				},
			},
		},
		{
			"source from cdk.json values",
			map[string]any{"demo": true, "sourceClusters": []any{"analytics-db"}, "destinationBucket": "analytics-bucket", "maxConcurrency": float64(2000)},
			stacks.Config{
				Demo:     true,
				Source:   &stacks.SourceConfig{ClusterIdentifiers: []string{"analytics-db"}, DestinationBucket: "analytics-bucket"},
				Pipeline: stacks.PipelineConfig{MaxConcurrency: 2000},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stacks.ConfigFromContext(getter(tt.give))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConfigFromContext_rejectsBadValuesNamingThem(t *testing.T) {
	source := func(extra map[string]any) map[string]any {
		m := map[string]any{"sourceClusters": "analytics-db", "destinationBucket": "analytics-bucket"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		give map[string]any
		want string
	}{
		{"demo not a bool", map[string]any{"demo": "yes please"}, `context demo must be true or false, got "yes please"`},
		{"nothing to build", map[string]any{"demo": false}, "nothing to synthesize"},
		{"source without bucket", map[string]any{"sourceClusters": "analytics-db"}, "context destinationBucket is required"},
		{"bucket without source", map[string]any{"destinationBucket": "analytics-bucket"}, "no source is"},
		{"bad bucket", source(map[string]any{"destinationBucket": "Analytics_Bucket"}), `got "Analytics_Bucket"`},
		{"bad account", source(map[string]any{"destinationAccount": "4444"}), `context destinationAccount must be a 12-digit AWS account id, got "4444"`},
		{"alias instead of key ARN", source(map[string]any{"destinationKeyArn": "alias/analytics"}), `got "alias/analytics"`},
		{"bad concurrency", source(map[string]any{"maxConcurrency": "lots"}), `context maxConcurrency must be a positive integer, got "lots"`},
		{"fractional concurrency", source(map[string]any{"maxConcurrency": 1.5}), `got "1.5"`},
		{"bad duration", source(map[string]any{"exportTimeout": "a day"}), `context exportTimeout must be a positive duration`},
		{"sub-second duration", source(map[string]any{"pollInterval": "1500ms"}), `got "1500ms"`},
		{"list of numbers", map[string]any{"sourceClusters": []any{1.0}}, "context sourceClusters must be a list of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stacks.ConfigFromContext(getter(tt.give))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
