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
				Sources: []stacks.SourceConfig{{
					StackName:          "SnapshotLakeSource",
					ClusterIdentifiers: []string{"analytics-db", "reporting-db"}, InstanceIdentifiers: []string{"orders-db"},
					DestinationBucket: "analytics-bucket", DestinationAccount: "444455556666",
					DestinationKeyArn: "arn:aws:kms:ap-northeast-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
				}},
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
				Sources:  []stacks.SourceConfig{{StackName: "SnapshotLakeSource", ClusterIdentifiers: []string{"analytics-db"}, DestinationBucket: "analytics-bucket"}},
				Pipeline: stacks.PipelineConfig{MaxConcurrency: 2000},
			},
		},
		{
			"destination and two source accounts from cdk.json",
			map[string]any{
				"demo": false, "destinationBucket": "analytics-bucket", "destinationAccount": "444455556666", "destinationRegion": "ap-northeast-1",
				"sourceAccounts": []any{"111122223333", "222233334444"}, "alarmEmail": "ops@example.com", "exportRetentionDays": float64(3),
				"sources": []any{
					map[string]any{"account": "111122223333", "region": "ap-northeast-1", "clusters": []any{"analytics-db"}},
					map[string]any{"account": "222233334444", "region": "ap-northeast-1", "instances": "orders-db"},
				},
			},
			stacks.Config{
				Sources: []stacks.SourceConfig{
					{StackName: "SnapshotLakeSource-111122223333", Account: "111122223333", Region: "ap-northeast-1", ClusterIdentifiers: []string{"analytics-db"}, DestinationBucket: "analytics-bucket", DestinationAccount: "444455556666"},
					{StackName: "SnapshotLakeSource-222233334444", Account: "222233334444", Region: "ap-northeast-1", InstanceIdentifiers: []string{"orders-db"}, DestinationBucket: "analytics-bucket", DestinationAccount: "444455556666"},
				},
				Destination: &stacks.DestinationConfig{Account: "444455556666", Region: "ap-northeast-1", BucketName: "analytics-bucket", SourceAccounts: []string{"111122223333", "222233334444"},
					SourceRegions: []string{"ap-northeast-1"}, Catalog: true},
				Pipeline:    stacks.PipelineConfig{ExportRetentionDays: 3},
				AlarmEmails: []string{"ops@example.com"},
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
		{"sources not JSON", map[string]any{"sources": "[{", "destinationBucket": "analytics-bucket"}, `context sources must be a JSON array`},
		{"source entry without account", map[string]any{"sources": []any{map[string]any{"clusters": "a"}}, "destinationBucket": "analytics-bucket"}, "entries with an account"},
		{"source entry with unknown field", map[string]any{"sources": []any{map[string]any{"account": "111122223333", "cluster": "a"}}, "destinationBucket": "analytics-bucket"}, `got "cluster"`},
		{"source entry without databases", map[string]any{"sources": []any{map[string]any{"account": "111122223333"}}, "destinationBucket": "analytics-bucket"}, "lists no clusters nor instances"},
		{"same account twice", map[string]any{"destinationBucket": "analytics-bucket", "sources": []any{
			map[string]any{"account": "111122223333", "clusters": "a"}, map[string]any{"account": "111122223333", "clusters": "b"}}}, "names account 111122223333 twice"},
		{"bad source account", map[string]any{"destinationBucket": "analytics-bucket", "sourceAccounts": "1111"}, `context sourceAccounts must be a 12-digit AWS account id, got "1111"`},
		{"bad organization", map[string]any{"destinationBucket": "analytics-bucket", "organizationId": "org-1"}, `got "org-1"`},
		{"destination without bucket", map[string]any{"sourceAccounts": "111122223333"}, "sources must know the bucket's name"},
		{"bad region", map[string]any{"destinationBucket": "analytics-bucket", "sourceAccounts": "111122223333", "destinationRegion": "tokyo"}, `got "tokyo"`},
		{"catalog not a bool", map[string]any{"destinationBucket": "analytics-bucket", "sourceAccounts": "111122223333", "catalog": "maybe"}, `context catalog must be true or false, got "maybe"`},
		{"bad catalog database", map[string]any{"destinationBucket": "analytics-bucket", "sourceAccounts": "111122223333", "catalogDatabase": "Analytics-DB"}, `context catalogDatabase must be 1-255 lowercase letters, digits and underscores, got "Analytics-DB"`},
		{"bad transfer subject", map[string]any{"destinationBucket": "analytics-bucket", "sourceAccounts": "111122223333", "googleTransferSubjectId": "sa@x"}, `context googleTransferSubjectId must be the numeric subjectId`},
		{"transfer events without subject", map[string]any{"destinationBucket": "analytics-bucket", "sourceAccounts": "111122223333", "googleTransferEvents": true}, "need googleTransferSubjectId"},
		{"bad e-mail", map[string]any{"alarmEmail": "ops"}, `context alarmEmail must be an e-mail address, got "ops"`},
		{"adjacent periods in the destination's bucket", map[string]any{"destinationBucket": "analytics..bucket", "sourceAccounts": "111122223333"}, `context destinationBucket must be an S3 bucket name without two adjacent periods, got "analytics..bucket"`},
		{"adjacent periods in the sources' bucket", source(map[string]any{"destinationBucket": "analytics..bucket"}), `got "analytics..bucket"`},
		{"retention too long", map[string]any{"exportRetentionDays": "5000"}, "got 5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stacks.ConfigFromContext(getter(tt.give))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
