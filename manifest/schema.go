package manifest

import (
	"github.com/wxmedia/wxmedia/audience"

	"encoding/json"
	"fmt"

	"github.com/wxmedia/wxmedia/mediatype"
)

// SchemaID is the $id of the manifest's JSON Schema.
const SchemaID = "https://github.com/wxmedia/wxmedia/schema/wxmedia.schema.json"

// keySchemas describes every key the validator accepts, with the patterns
// it checks. Schema builds the JSON Schema from the validator's own key
// lists (topKeys, accountKeys, assetKeys) and these descriptions, and a test
// fails when a key has no description, so the two cannot drift.
var keySchemas = map[string]map[string]any{
	// top level
	"version":      {"const": 1, "description": "Manifest format version; must be 1."},
	"accounts":     nil, // built in Schema
	"assets":       nil, // built in Schema
	"state":        nil, // built in Schema
	"environments": nil, // built in Schema
	// accounts
	"api": {"enum": mediatype.APIs(), "description": "Which WeChat Pay API the account uses."},
	"mchid": {"description": "Merchant ID (v2: mch_id; brand: brand_id). Quote it.",
		"anyOf": []any{map[string]any{"type": "string", "pattern": digitsExpr}, map[string]any{"type": "integer", "minimum": 0}}},
	"serial_no":                  {"type": "string", "pattern": serialExpr, "description": "Serial of the merchant (or brand) API certificate: 40 hex digits."},
	"private_key_file":           {"type": "string", "description": "PEM private key (apiclient_key.pem); relative to the manifest directory."},
	"private_key_env":            {"type": "string", "pattern": envNamePattern.String(), "description": "Environment variable holding the PEM private key."},
	"wechatpay_public_key_id":    {"type": "string", "pattern": publicKeyPattern.String(), "description": "WeChat Pay public key ID (PUB_KEY_ID_…)."},
	"wechatpay_public_key_file":  {"type": "string", "description": "WeChat Pay public key PEM (pub_key.pem)."},
	"platform_certificate_files": {"type": "array", "items": map[string]any{"type": "string"}, "description": "WeChat Pay platform certificates (platform-certificate mode)."},
	"endpoint":                   {"type": "string", "pattern": `^(sandbox|https?://\S+)$`, "description": "Base URL; default per api. \"sandbox\" runs the embedded emulator."},
	"ca_file":                    {"type": "string", "description": "Extra CA bundle (PEM) for a custom HTTPS endpoint."},
	"rate_limit":                 {"type": "number", "exclusiveMinimum": 0, "description": "Requests per second for this account."},
	"apiv3_key_env":              {"type": "string", "pattern": envNamePattern.String(), "description": "v3/global with platform_certificate_files: environment variable holding the APIv3 key; apply downloads the current platform certificates with it."},
	"api_key_env":                {"type": "string", "pattern": envNamePattern.String(), "description": "v2: environment variable holding the APIv2 key."},
	"client_cert_file":           {"type": "string", "description": "v2: client certificate PEM (apiclient_cert.pem) for mutual TLS."},
	"client_key_file":            {"type": "string", "description": "v2: client certificate key PEM."},
	"sign_type":                  {"enum": []string{SignMD5, SignHMACSHA256}, "description": "v2: request signature algorithm (default MD5)."},
	// assets
	"type":     {"enum": mediatype.Names(), "description": "Asset type; decides the endpoint."},
	"account":  {"type": "string", "description": "Name of an account under accounts."},
	"file":     {"type": "string", "description": "File to upload, relative to the manifest directory."},
	"glob":     {"type": "string", "description": "Pattern relative to the manifest directory (** crosses directories, as in .gitignore; the extension matches any case); one asset per match, named <asset>/<base name>."},
	"filename": {"type": "string", "minLength": 1, "description": "Name sent to WeChat Pay; default: the file's base name."},
	// user_package assets
	"data_type":   {"enum": audience.DataTypes(), "description": "user_package: what each line holds, an openid or the MD5 of a mobile number (raw numbers are refused); changing it uploads the file again."},
	"description": {"type": "string", "maxLength": audience.MaxDescription, "description": "user_package: a description sent when the upload session starts; changing it uploads the file again."},
	"expand_into": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "user_package: the audience package (user_package_id) to expand with the upload after the merge."},
}

// stateSchema describes the optional `state` block.
var stateSchema = map[string]any{
	"type":                 "object",
	"description":          "Keep the lockfile in a shared backend instead of wxmedia.lock.json.",
	"additionalProperties": false,
	"required":             []string{"backend", "conn_str_env"},
	"properties": map[string]any{
		"backend":      map[string]any{"const": "pg", "description": "PostgreSQL."},
		"conn_str_env": map[string]any{"type": "string", "pattern": envNamePattern.String(), "description": "Environment variable holding the connection string."},
		"workspace":    map[string]any{"type": "string", "description": "Name of this state within the backend (default \"default\")."},
		"schema":       map[string]any{"type": "string", "description": "Database schema for wxmedia's tables."},
	},
}

func properties(keys []string) map[string]any {
	props := map[string]any{}
	for _, k := range keys {
		s, ok := keySchemas[k]
		if !ok {
			panic(fmt.Sprintf("manifest: key %q has no schema", k))
		}
		props[k] = s
	}
	return props
}

// Schema returns the JSON Schema (draft 2020-12) of wxmedia.yaml.
func Schema() map[string]any {
	account := map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"api", "mchid"},
		"properties": properties(accountKeys),
	}
	asset := map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"type", "account"},
		"properties": properties(assetKeys),
		"oneOf": []any{
			map[string]any{"required": []string{"file"}, "not": map[string]any{"required": []string{"glob"}}},
			map[string]any{"required": []string{"glob"}, "not": map[string]any{"required": []string{"file"}}},
		},
	}
	top := properties(topKeys)
	top["accounts"] = map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": namePattern.String()}, "additionalProperties": account}
	top["assets"] = map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": namePattern.String()}, "additionalProperties": asset}
	if _, ok := top["state"]; ok {
		top["state"] = stateSchema
	}
	overridable := []string{}
	for _, k := range accountKeys {
		if k != "api" {
			overridable = append(overridable, k)
		}
	}
	top["environments"] = map[string]any{
		"type":          "object",
		"description":   "Environments selected with -env NAME (or WXMEDIA_ENV): each overrides account settings and keeps its own lockfile (wxmedia.NAME.lock.json) or PostgreSQL workspace (<workspace>.NAME).",
		"propertyNames": map[string]any{"pattern": namePattern.String()},
		"additionalProperties": map[string]any{
			"type": []string{"object", "null"}, "additionalProperties": false,
			"properties": map[string]any{
				"accounts": map[string]any{
					"type": "object", "description": "Settings that replace those of the declared account of the same name.",
					"additionalProperties": map[string]any{"type": "object", "additionalProperties": false, "properties": properties(overridable)},
				},
			},
		},
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "wxmedia manifest (wxmedia.yaml)",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"version"},
		"properties":           top,
	}
}

// SchemaJSON returns Schema as indented JSON.
func SchemaJSON() ([]byte, error) {
	return json.MarshalIndent(Schema(), "", "  ")
}
