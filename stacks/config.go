package stacks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Context keys read by the app (`cdk synth -c key=value`, or cdk.json's
// "context"). Lists are comma-separated strings or JSON arrays.
const (
	CtxDemo                  = "demo"
	CtxSourceClusters        = "sourceClusters"
	CtxSourceInstances       = "sourceInstances"
	CtxDestinationBucket     = "destinationBucket"
	CtxDestinationAccount    = "destinationAccount"
	CtxDestinationKeyArn     = "destinationKeyArn"
	CtxDestinationPrefix     = "destinationPrefix"
	CtxS3Prefix              = "s3Prefix"
	CtxExportOnly            = "exportOnly"
	CtxPartitionKey          = "partitionKey"
	CtxPartitionValuePicture = "partitionValuePicture"
	CtxMaxConcurrency        = "maxConcurrency"
	CtxPollInterval          = "pollInterval"
	CtxExportTimeout         = "exportTimeout"
)

// Config is what the app builds.
type Config struct {
	// Demo synthesizes the single-account demo stack.
	Demo bool
	// Source, when set, synthesizes a source-account stack.
	Source *SourceConfig
	// Pipeline settings shared by every stack.
	Pipeline PipelineConfig
}

// SourceConfig configures the source-account stack.
type SourceConfig struct {
	ClusterIdentifiers  []string
	InstanceIdentifiers []string
	DestinationBucket   string
	DestinationAccount  string
	DestinationKeyArn   string
}

// PipelineConfig holds the export and copy settings.
type PipelineConfig struct {
	S3Prefix              string
	ExportOnly            []string
	DestinationPrefix     string
	PartitionKey          string
	PartitionValuePicture string
	MaxConcurrency        int
	PollInterval          time.Duration
	ExportTimeout         time.Duration
}

var (
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	accountRE    = regexp.MustCompile(`^[0-9]{12}$`)
	keyArnRE     = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-fA-F-]{36}$`)
)

// ConfigFromContext reads the app's configuration; get returns a context
// value or nil. Errors name the context key and the bad value.
func ConfigFromContext(get func(key string) any) (Config, error) {
	r := reader{get: get}
	cfg := Config{
		Demo: r.boolean(CtxDemo, true),
		Pipeline: PipelineConfig{
			S3Prefix:              r.str(CtxS3Prefix),
			ExportOnly:            r.list(CtxExportOnly),
			DestinationPrefix:     r.str(CtxDestinationPrefix),
			PartitionKey:          r.str(CtxPartitionKey),
			PartitionValuePicture: r.str(CtxPartitionValuePicture),
			MaxConcurrency:        r.integer(CtxMaxConcurrency),
			PollInterval:          r.duration(CtxPollInterval),
			ExportTimeout:         r.duration(CtxExportTimeout),
		},
	}
	clusters, instances := r.list(CtxSourceClusters), r.list(CtxSourceInstances)
	dest := SourceConfig{
		ClusterIdentifiers:  clusters,
		InstanceIdentifiers: instances,
		DestinationBucket:   r.str(CtxDestinationBucket),
		DestinationAccount:  r.str(CtxDestinationAccount),
		DestinationKeyArn:   r.str(CtxDestinationKeyArn),
	}
	if r.err != nil {
		return Config{}, r.err
	}
	if len(clusters)+len(instances) > 0 {
		if err := dest.validate(); err != nil {
			return Config{}, err
		}
		cfg.Source = &dest
	} else if dest.DestinationBucket != "" || dest.DestinationKeyArn != "" {
		return Config{}, fmt.Errorf("context %s is set but no source is: set %s or %s", CtxDestinationBucket, CtxSourceClusters, CtxSourceInstances)
	}
	if !cfg.Demo && cfg.Source == nil {
		return Config{}, fmt.Errorf("nothing to synthesize: context %s is false and neither %s nor %s is set", CtxDemo, CtxSourceClusters, CtxSourceInstances)
	}
	return cfg, nil
}

func (s SourceConfig) validate() error {
	switch {
	case s.DestinationBucket == "":
		return fmt.Errorf("context %s is required with %s/%s", CtxDestinationBucket, CtxSourceClusters, CtxSourceInstances)
	case !bucketNameRE.MatchString(s.DestinationBucket) || strings.Contains(s.DestinationBucket, ".."):
		return fmt.Errorf("context %s must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens), got %q", CtxDestinationBucket, s.DestinationBucket)
	case s.DestinationAccount != "" && !accountRE.MatchString(s.DestinationAccount):
		return fmt.Errorf("context %s must be a 12-digit AWS account id, got %q", CtxDestinationAccount, s.DestinationAccount)
	case s.DestinationKeyArn != "" && !keyArnRE.MatchString(s.DestinationKeyArn):
		return fmt.Errorf("context %s must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; an alias cannot be used across accounts), got %q", CtxDestinationKeyArn, s.DestinationKeyArn)
	}
	return nil
}

// reader reads typed context values, keeping the first error.
type reader struct {
	get func(string) any
	err error
}

func (r *reader) fail(key string, v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("context %s must be %s, got %q", key, want, fmt.Sprint(v))
	}
}

func (r *reader) str(key string) string {
	switch v := r.get(key).(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	default:
		r.fail(key, v, "a string")
		return ""
	}
}

func (r *reader) list(key string) []string {
	var items []string
	switch v := r.get(key).(type) {
	case nil:
		return nil
	case string:
		items = strings.Split(v, ",")
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				r.fail(key, v, "a list of strings")
				return nil
			}
			items = append(items, s)
		}
	default:
		r.fail(key, v, "a comma-separated list or a JSON array of strings")
		return nil
	}
	var out []string
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *reader) boolean(key string, def bool) bool {
	switch v := r.get(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			r.fail(key, v, "true or false")
		}
		return b
	default:
		r.fail(key, v, "true or false")
		return def
	}
}

func (r *reader) integer(key string) int {
	switch v := r.get(key).(type) {
	case nil:
		return 0
	case float64:
		if v != float64(int(v)) || v < 1 {
			r.fail(key, v, "a positive integer")
		}
		return int(v)
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			r.fail(key, v, "a positive integer")
		}
		return n
	default:
		r.fail(key, v, "a positive integer")
		return 0
	}
}

func (r *reader) duration(key string) time.Duration {
	v := r.get(key)
	if v == nil {
		return 0
	}
	s, ok := v.(string)
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if !ok || err != nil || d <= 0 || d%time.Second != 0 {
		r.fail(key, v, `a positive duration in whole seconds such as "90s", "30m" or "36h"`)
		return 0
	}
	return d
}
