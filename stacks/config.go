package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snapshotlake/snapshotlake/internal/secure"
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
	CtxDestinationEventBus   = "destinationEventBusArn"
	CtxDestinationPrefix     = "destinationPrefix"
	CtxS3Prefix              = "s3Prefix"
	CtxExportOnly            = "exportOnly"
	CtxPartitionKey          = "partitionKey"
	CtxPartitionValuePicture = "partitionValuePicture"
	CtxMaxConcurrency        = "maxConcurrency"
	CtxPollInterval          = "pollInterval"
	CtxExportTimeout         = "exportTimeout"
	CtxSources               = "sources"
	CtxDestinationRegion     = "destinationRegion"
	CtxSourceAccounts        = "sourceAccounts"
	CtxOrganizationID        = "organizationId"
	CtxAlarmEmail            = "alarmEmail"
	CtxExportRetentionDays   = "exportRetentionDays"
	// Destination stack: the Glue catalog (on unless "false") and its
	// database, and the optional hand-off to Google Cloud Storage.
	CtxCatalog                 = "catalog"
	CtxCatalogDatabase         = "catalogDatabase"
	CtxGoogleTransferSubjectID = "googleTransferSubjectId"
	CtxGoogleTransferPrefix    = "googleTransferPrefix"
	CtxGoogleTransferEvents    = "googleTransferEvents"
)

// Config is what the app builds.
type Config struct {
	// Demo synthesizes the single-account demo stack.
	Demo bool
	// Sources are source-account stacks, one per account.
	Sources []SourceConfig
	// Destination, when set, synthesizes the analytics account's stack.
	Destination *DestinationConfig
	// Pipeline settings shared by every stack.
	Pipeline PipelineConfig
	// AlarmEmails are subscribed to every stack's alert topic.
	AlarmEmails []string
}

// SourceConfig configures a source-account stack.
type SourceConfig struct {
	// StackName: SnapshotLakeSource, or SnapshotLakeSource-<account> for
	// the entries of the "sources" list.
	StackName string
	// Account and Region of the stack's environment. Default: none
	// (environment-agnostic: the account and region `cdk deploy` uses).
	Account, Region     string
	ClusterIdentifiers  []string
	InstanceIdentifiers []string
	DestinationBucket   string
	DestinationAccount  string
	DestinationKeyArn   string
	// DestinationEventBusArn also receives the copied-export event. Default:
	// with DestinationAccount, that account's bus DefaultEventBusName in the
	// stack's Region; "none": the default bus only.
	DestinationEventBusArn string
}

// DefaultEventBusName is the destination stack's event bus.
const DefaultEventBusName = "snapshotlake"

// DestinationConfig configures the analytics account's stack.
type DestinationConfig struct {
	Account, Region string
	BucketName      string
	SourceAccounts  []string
	OrganizationID  string
	// SourceRegions are the regions of the configured sources, whose copy
	// roles are admitted by name. Default: the destination's region.
	SourceRegions []string
	// Catalog adds the Glue catalog. Default (context): true.
	Catalog bool
	// CatalogDatabase names the Glue database. Default: "snapshotlake".
	CatalogDatabase string
	// GoogleTransferSubjectID, GoogleTransferPrefix, GoogleTransferEvents:
	// see destination.Props.
	GoogleTransferSubjectID string
	GoogleTransferPrefix    string
	GoogleTransferEvents    bool
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
	// ExportRetentionDays: the staging bucket expires exports after this
	// many days. Default: 7.
	ExportRetentionDays int
}

// Checks of ARNs only the configuration takes; the other values are checked
// by package secure, as the constructs check them.
var (
	busArnRE       = regexp.MustCompile(`^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]{1,256}$`)
	keyArnRE       = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-fA-F-]{36}$`)
	subjectIDRE    = regexp.MustCompile(`^[0-9]{1,32}$`)
	glueDatabaseRE = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
)

// ctx names a context key in errors.
func ctx(key string) string { return "context " + key }

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
			ExportRetentionDays:   r.integer(CtxExportRetentionDays),
		},
		AlarmEmails: r.list(CtxAlarmEmail),
	}
	dest := SourceConfig{
		DestinationBucket:      r.str(CtxDestinationBucket),
		DestinationAccount:     r.str(CtxDestinationAccount),
		DestinationKeyArn:      r.str(CtxDestinationKeyArn),
		DestinationEventBusArn: r.str(CtxDestinationEventBus),
	}
	if clusters, instances := r.list(CtxSourceClusters), r.list(CtxSourceInstances); len(clusters)+len(instances) > 0 {
		src := dest
		src.StackName, src.ClusterIdentifiers, src.InstanceIdentifiers = SourceStackName, clusters, instances
		cfg.Sources = append(cfg.Sources, src)
	}
	cfg.Sources = append(cfg.Sources, r.sources(CtxSources, dest)...)
	if accounts, org := r.list(CtxSourceAccounts), r.str(CtxOrganizationID); len(accounts) > 0 || org != "" {
		cfg.Destination = &DestinationConfig{
			Account: dest.DestinationAccount, Region: r.str(CtxDestinationRegion),
			BucketName: dest.DestinationBucket, SourceAccounts: accounts, OrganizationID: org,
			Catalog: r.boolean(CtxCatalog, true), CatalogDatabase: r.str(CtxCatalogDatabase),
			GoogleTransferSubjectID: r.str(CtxGoogleTransferSubjectID), GoogleTransferPrefix: r.str(CtxGoogleTransferPrefix),
			GoogleTransferEvents: r.boolean(CtxGoogleTransferEvents, false),
		}
		cfg.Destination.SourceRegions = sourceRegions(cfg.Sources, cfg.Destination.Region)
	}
	if r.err != nil {
		return Config{}, r.err
	}
	for _, e := range cfg.AlarmEmails {
		if err := secure.Email(ctx(CtxAlarmEmail), e); err != nil {
			return Config{}, err
		}
	}
	if d := cfg.Pipeline.ExportRetentionDays; d > 3650 {
		return Config{}, fmt.Errorf("context %s must be between 1 and 3650 days, got %d", CtxExportRetentionDays, d)
	}
	seen := map[string]bool{}
	for _, src := range cfg.Sources {
		if err := src.validate(); err != nil {
			return Config{}, err
		}
		if seen[src.StackName] {
			return Config{}, fmt.Errorf("context %s names account %s twice", CtxSources, src.Account)
		}
		seen[src.StackName] = true
	}
	if cfg.Destination != nil {
		if err := cfg.Destination.validate(); err != nil {
			return Config{}, err
		}
	}
	if len(cfg.Sources) == 0 && cfg.Destination == nil && (dest.DestinationBucket != "" || dest.DestinationKeyArn != "") {
		return Config{}, fmt.Errorf("context %s is set but no source is: set %s, %s or %s", CtxDestinationBucket, CtxSourceClusters, CtxSourceInstances, CtxSources)
	}
	if !cfg.Demo && len(cfg.Sources) == 0 && cfg.Destination == nil {
		return Config{}, fmt.Errorf("nothing to synthesize: context %s is false and no source or destination is set", CtxDemo)
	}
	return cfg, nil
}

// sourceRegions are the distinct regions of the sources; a source without
// one deploys where the CLI points, assumed to be the destination's region
// ("" when that is not set either: the destination stack's own region).
func sourceRegions(sources []SourceConfig, destRegion string) []string {
	var out []string
	for _, src := range sources {
		r := src.Region
		if r == "" {
			r = destRegion
		}
		if r == "" {
			return nil
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func (d DestinationConfig) validate() error {
	if d.BucketName == "" {
		return fmt.Errorf("context %s is required with %s/%s: sources must know the bucket's name", CtxDestinationBucket, CtxSourceAccounts, CtxOrganizationID)
	}
	errs := []error{secure.BucketName(ctx(CtxDestinationBucket), d.BucketName)}
	if d.Account != "" {
		errs = append(errs, secure.AccountID(ctx(CtxDestinationAccount), d.Account))
	}
	if d.Region != "" {
		errs = append(errs, secure.Region(ctx(CtxDestinationRegion), d.Region))
	}
	if d.OrganizationID != "" {
		errs = append(errs, secure.OrganizationID(ctx(CtxOrganizationID), d.OrganizationID))
	}
	for _, a := range d.SourceAccounts {
		errs = append(errs, secure.AccountID(ctx(CtxSourceAccounts), a))
	}
	if d.GoogleTransferSubjectID != "" && !subjectIDRE.MatchString(d.GoogleTransferSubjectID) {
		errs = append(errs, fmt.Errorf("context %s must be the numeric subjectId of the Storage Transfer service account, got %q", CtxGoogleTransferSubjectID, d.GoogleTransferSubjectID))
	}
	if d.GoogleTransferSubjectID == "" && (d.GoogleTransferPrefix != "" || d.GoogleTransferEvents) {
		errs = append(errs, fmt.Errorf("context %s and %s need %s", CtxGoogleTransferPrefix, CtxGoogleTransferEvents, CtxGoogleTransferSubjectID))
	}
	if d.CatalogDatabase != "" && !glueDatabaseRE.MatchString(d.CatalogDatabase) {
		errs = append(errs, fmt.Errorf("context %s must be 1-255 lowercase letters, digits and underscores, got %q", CtxCatalogDatabase, d.CatalogDatabase))
	}
	return errors.Join(errs...)
}

func (s SourceConfig) validate() error {
	switch {
	case len(s.ClusterIdentifiers)+len(s.InstanceIdentifiers) == 0:
		return fmt.Errorf("context %s: the entry for account %s lists no clusters nor instances", CtxSources, s.Account)
	case s.DestinationBucket == "":
		return fmt.Errorf("context %s is required with %s/%s/%s", CtxDestinationBucket, CtxSourceClusters, CtxSourceInstances, CtxSources)
	}
	errs := []error{secure.BucketName(ctx(CtxDestinationBucket), s.DestinationBucket)}
	if s.DestinationAccount != "" {
		errs = append(errs, secure.AccountID(ctx(CtxDestinationAccount), s.DestinationAccount))
	}
	if s.Account != "" {
		errs = append(errs, secure.AccountID(ctx(CtxSources)+": account", s.Account))
	}
	if s.Region != "" {
		errs = append(errs, secure.Region(ctx(CtxSources)+": region", s.Region))
	}
	if s.DestinationEventBusArn != "" && s.DestinationEventBusArn != "none" && !busArnRE.MatchString(s.DestinationEventBusArn) {
		errs = append(errs, fmt.Errorf(`context %s must be an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>) or "none", got %q`, CtxDestinationEventBus, s.DestinationEventBusArn))
	}
	if s.DestinationKeyArn != "" && !keyArnRE.MatchString(s.DestinationKeyArn) {
		errs = append(errs, fmt.Errorf("context %s must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; an alias cannot be used across accounts), got %q", CtxDestinationKeyArn, s.DestinationKeyArn))
	}
	return errors.Join(errs...)
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

// sources reads the "sources" list: [{"account", "region", "clusters",
// "instances"}], one source stack per entry.
func (r *reader) sources(key string, dest SourceConfig) []SourceConfig {
	v := r.get(key)
	if v == nil {
		return nil
	}
	if s, ok := v.(string); ok { // from -c: JSON text
		var parsed any
		if err := json.Unmarshal([]byte(s), &parsed); err != nil {
			r.fail(key, v, `a JSON array of {"account", "region", "clusters", "instances"}`)
			return nil
		}
		v = parsed
	}
	list, ok := v.([]any)
	if !ok {
		r.fail(key, v, `a JSON array of {"account", "region", "clusters", "instances"}`)
		return nil
	}
	var out []SourceConfig
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			r.fail(key, e, `an object {"account", "region", "clusters", "instances"}`)
			return nil
		}
		for k := range m {
			switch k {
			case "account", "region", "clusters", "instances":
			default:
				r.fail(key, k, `one of the fields "account", "region", "clusters", "instances"`)
				return nil
			}
		}
		field := reader{get: func(k string) any { return m[k] }}
		src := dest
		src.Account, src.Region = field.str("account"), field.str("region")
		src.ClusterIdentifiers, src.InstanceIdentifiers = field.list("clusters"), field.list("instances")
		if field.err != nil {
			r.err = fmt.Errorf("context %s: %w", key, field.err)
			return nil
		}
		if src.Account == "" {
			r.fail(key, e, "entries with an account")
			return nil
		}
		src.StackName = SourceStackName + "-" + src.Account
		out = append(out, src)
	}
	return out
}
