/*
 * config: every setting of the gateway, read from environment variables.
 *
 * One table (config_table.c) lists each variable with its type, default, bounds
 * and one-line help; loading, validation, --help, the README table and the
 * --check-config dump all read that table, so they cannot drift apart.
 *
 * The loader takes a getter instead of reading the environment itself, so tests
 * feed it a fake environment. Every bad value is reported, naming the variable,
 * the value and what was expected. Strings in struct config are owned by it and
 * released by config_free(), which also wipes secrets.
 */
#ifndef NOVA_LIB_CONFIG_H
#define NOVA_LIB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cfg_type {
  CFG_STR,       /* free text */
  CFG_INT,       /* integer within [min, max] */
  CFG_DOUBLE,    /* decimal within [min, max] */
  CFG_BOOL,      /* 1/0, true/false, yes/no, on/off */
  CFG_ENUM,      /* one of `choices` (case-insensitive); stored as its index */
  CFG_HOSTPORT,  /* host:port or [v6]:port; port 1..65535 */
  CFG_URL,       /* http:// or https:// URL */
  CFG_FILE,      /* path of a readable file */
  CFG_DIR,       /* path of an existing directory */
  CFG_CIDRS,     /* comma-separated IPv4/IPv6 CIDR blocks */
};

enum cfg_flags {
  CFG_SECRET = 1 << 0,   /* masked in every dump, wiped on free */
  CFG_OPTIONAL_EMPTY = 1 << 1,
};

enum srtp_mode { SRTP_OFF, SRTP_OPTIONAL, SRTP_REQUIRED };
enum nova_endpointing { NOVA_EP_HIGH, NOVA_EP_MEDIUM, NOVA_EP_LOW };

struct config {
  /* logging and operations */
  int log_level;               /* enum log_level */
  int log_format;              /* enum log_format */
  char *admin_listen;
  int max_calls;
  int max_call_duration_s;
  int drain_timeout_s;
  bool metrics_emf;
  char *call_records_dir;
  bool record_calls;

  /* SIP */
  char *sip_listen;
  char *sip_tls_listen;
  char *sip_tls_cert;
  char *sip_tls_key;
  char *sip_tls_ca;
  char *sip_server;
  char *sip_user;
  char *auth_user;
  char *auth_password;
  char *auth_realm;
  char *display_name;
  int sip_keepalive_time_ms;
  char *sip_via_addr;
  int sip_register_expires_s;
  int sip_session_expires_s;
  char *sip_transfer_target;
  char *sip_allow_cidrs;
  int sip_rate_per_source;
  int sip_rate_global;
  bool debug_sip;

  /* media */
  char *media_address;
  int media_port_base;
  int media_port_count;
  int media_timeout_s;
  int media_port_quarantine_s;
  int jitter_min_ms;
  int jitter_max_ms;
  int playout_max_s;
  char *greeting_filename;
  char *fallback_filename;
  int srtp_mode;               /* enum srtp_mode */

  /* Nova Sonic */
  char *aws_region;
  char *nova_model_id;
  char *nova_voice_id;
  char *nova_prompt;
  char *prompts_dir;
  int nova_input_rate;
  int nova_output_rate;
  int nova_endpointing;        /* enum nova_endpointing */
  int nova_max_tokens;
  double nova_temperature;
  double nova_top_p;
  int nova_session_renew_s;
  bool nova_speak_first;
  int nova_audio_chunk_ms;

  /* AWS endpoints and credentials */
  char *aws_endpoint_url;
  char *aws_endpoint_url_bedrock_runtime;
  char *aws_endpoint_url_connect;
  char *aws_ca_bundle;
  char *aws_access_key_id;
  char *aws_secret_access_key;
  char *aws_session_token;
  char *aws_profile;
  char *aws_shared_credentials_file;
  char *aws_config_file;
  char *aws_container_credentials_relative_uri;
  char *aws_container_credentials_full_uri;
  char *aws_container_authorization_token;
  char *aws_container_authorization_token_file;
  bool aws_ec2_metadata_disabled;
  char *aws_ec2_metadata_service_endpoint;

  /* Amazon Connect */
  char *connect_region;
  char *connect_instance_id;
  int connect_flush_interval_ms;
  double connect_max_tps;
  int connect_final_flush_timeout_ms;

  /* tools */
  char *tools_dir;
  int tool_timeout_ms;
  char *tools_enabled;
};

struct cfg_def {
  const char *name;
  enum cfg_type type;
  size_t offset;
  const char *def;          /* default, parsed like any other value */
  double min, max;          /* CFG_INT / CFG_DOUBLE */
  const char *const *choices; /* CFG_ENUM, NULL-terminated */
  unsigned flags;
  const char *group;
  const char *help;
};

extern const struct cfg_def config_defs[];
extern const size_t config_defs_count;

typedef const char *(*config_get_cb)(const char *name, void *arg);

/*
 * Fill `cfg` from the getter (defaults where unset or empty). Returns 0, or
 * NV_ECONFIG after appending one line per problem to `err` (NUL-terminated,
 * truncated to errlen). On error the struct is still safe to config_free().
 */
int config_load(struct config *cfg, config_get_cb get, void *arg,
                char *err, size_t errlen);
void config_free(struct config *cfg);

/* Look a variable up by name; NULL if it is not in the table. */
const struct cfg_def *config_find(const char *name);

/* Text table of every variable (what --help prints). */
void config_print_help(FILE *out);
/* Markdown table of every variable (the README's configuration section). */
void config_print_markdown(FILE *out);
/* Effective configuration as NAME=value lines, secrets masked. */
void config_print_effective(const struct config *cfg, FILE *out);
/* Value of one variable as text, secrets masked; writes into buf. */
const char *config_value_str(const struct config *cfg, const struct cfg_def *d,
                             char *buf, size_t len);

/* Split "host:port" / "[v6]:port". host gets at most hostlen-1 bytes. */
int config_split_hostport(const char *s, char *host, size_t hostlen, int *port);

#endif
