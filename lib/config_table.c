/*
 * The one table of every setting. Names follow the AWS Java sample where it has
 * one (SIP_SERVER, MEDIA_PORT_BASE, NOVA_VOICE_ID, ...) and the AWS SDK
 * conventions for everything AWS (AWS_REGION, AWS_ENDPOINT_URL_*, ...).
 */
#include <stddef.h>

#include "lib/config.h"

#define F(field) offsetof(struct config, field)

static const char *const levels[] = {"error", "warn", "info", "debug", "trace", NULL};
static const char *const formats[] = {"json", "text", NULL};
static const char *const srtp_modes[] = {"off", "optional", "required", NULL};
static const char *const endpointing[] = {"HIGH", "MEDIUM", "LOW", NULL};

#define DEFAULT_PROMPT                                                        \
  "You are a friendly assistant on a phone call. The user and you will engage " \
  "in a spoken dialog exchanging the transcripts of a natural real-time "       \
  "conversation. Keep your responses short, generally two or three sentences " \
  "for chatty scenarios."

const struct cfg_def config_defs[] = {
  /* --- operations ------------------------------------------------------- */
  {"LOG_LEVEL", CFG_ENUM, F(log_level), "info", 0, 0, levels, 0, "operations",
   "Lowest level written: error, warn, info, debug or trace"},
  {"LOG_FORMAT", CFG_ENUM, F(log_format), "json", 0, 0, formats, 0, "operations",
   "Log line format: json (one object per line) or text"},
  {"ADMIN_LISTEN", CFG_HOSTPORT, F(admin_listen), "127.0.0.1:8080", 0, 0, NULL,
   CFG_OPTIONAL_EMPTY, "operations",
   "host:port of the admin HTTP server (/healthz, /readyz, /metrics); empty disables it"},
  {"MAX_CALLS", CFG_INT, F(max_calls), "500", 1, 100000, NULL, 0, "operations",
   "Concurrent calls accepted; further INVITEs get 503 with Retry-After"},
  {"MAX_CALL_DURATION_S", CFG_INT, F(max_call_duration_s), "3600", 0, 86400, NULL, 0,
   "operations", "Longest call in seconds before it is wrapped up (0 = no limit)"},
  {"DRAIN_TIMEOUT_S", CFG_INT, F(drain_timeout_s), "300", 0, 86400, NULL, 0,
   "operations", "On SIGTERM, seconds active calls may finish before they are ended"},
  {"METRICS_EMF", CFG_BOOL, F(metrics_emf), "0", 0, 0, NULL, 0, "operations",
   "Also log active calls and outcomes every 60 s in CloudWatch embedded metric format"},
  {"CALL_RECORDS_DIR", CFG_DIR, F(call_records_dir), "", 0, 0, NULL, 0, "operations",
   "Directory for per-call summaries and transcripts (empty: write them to the log)"},
  {"RECORD_CALLS", CFG_BOOL, F(record_calls), "0", 0, 0, NULL, 0, "operations",
   "Write a stereo WAV per call (caller left, model right) to CALL_RECORDS_DIR"},

  /* --- SIP -------------------------------------------------------------- */
  {"SIP_LISTEN", CFG_HOSTPORT, F(sip_listen), "0.0.0.0:5060", 0, 0, NULL, 0, "sip",
   "host:port for SIP over UDP and TCP"},
  {"SIP_TLS_LISTEN", CFG_HOSTPORT, F(sip_tls_listen), "", 0, 0, NULL,
   CFG_OPTIONAL_EMPTY, "sip", "host:port for SIP over TLS (empty: no TLS listener)"},
  {"SIP_TLS_CERT", CFG_FILE, F(sip_tls_cert), "", 0, 0, NULL, 0, "sip",
   "PEM certificate chain for SIP over TLS"},
  {"SIP_TLS_KEY", CFG_FILE, F(sip_tls_key), "", 0, 0, NULL, 0, "sip",
   "PEM private key for SIP over TLS"},
  {"SIP_TLS_CA", CFG_FILE, F(sip_tls_ca), "", 0, 0, NULL, 0, "sip",
   "PEM CA bundle trusted for SIP TLS peers (e.g. the Voice Connector CA bundle)"},
  {"SIP_SERVER", CFG_STR, F(sip_server), "", 0, 0, NULL, 0, "sip",
   "Registrar host[:port]; when set the gateway registers as SIP_USER"},
  {"SIP_USER", CFG_STR, F(sip_user), "", 0, 0, NULL, 0, "sip",
   "User part of the registered address of record"},
  {"AUTH_USER", CFG_STR, F(auth_user), "", 0, 0, NULL, 0, "sip",
   "Digest authentication user name (default: SIP_USER)"},
  {"AUTH_PASSWORD", CFG_STR, F(auth_password), "", 0, 0, NULL, CFG_SECRET, "sip",
   "Digest authentication password"},
  {"AUTH_REALM", CFG_STR, F(auth_realm), "", 0, 0, NULL, 0, "sip",
   "Digest realm (default: the realm of the challenge)"},
  {"DISPLAY_NAME", CFG_STR, F(display_name), "", 0, 0, NULL, 0, "sip",
   "Display name in From of registrations and outgoing requests"},
  {"SIP_KEEPALIVE_TIME", CFG_INT, F(sip_keepalive_time_ms), "60000", 0, 3600000, NULL, 0,
   "sip", "Milliseconds between keep-alives to SIP_SERVER (0 = none)"},
  {"SIP_VIA_ADDR", CFG_STR, F(sip_via_addr), "", 0, 0, NULL, 0, "sip",
   "Address to put in Via and Contact instead of the listening address (NAT)"},
  {"SIP_REGISTER_EXPIRES_S", CFG_INT, F(sip_register_expires_s), "300", 60, 86400, NULL,
   0, "sip", "Requested registration lifetime in seconds"},
  {"SIP_SESSION_EXPIRES_S", CFG_INT, F(sip_session_expires_s), "1800", 0, 86400, NULL, 0,
   "sip", "RFC 4028 session interval in seconds (0 disables session timers)"},
  {"SIP_TRANSFER_TARGET", CFG_STR, F(sip_transfer_target), "", 0, 0, NULL, 0, "sip",
   "SIP URI that non-Connect calls are REFERred to when the model transfers them"},
  {"SIP_ALLOW_CIDRS", CFG_CIDRS, F(sip_allow_cidrs), "", 0, 0, NULL, 0, "sip",
   "Comma-separated source networks allowed to send SIP, checked before sofia parses "
   "anything; RTP may also latch from them (empty: everyone, warned about on a public "
   "listener; docs/security.md lists Chime Voice Connector's)"},
  {"SIP_RATE_PER_SOURCE", CFG_INT, F(sip_rate_per_source), "20", 1, 100000, NULL, 0,
   "sip", "INVITE, REGISTER and OPTIONS (each) per second accepted from one source address, "
   "in bursts of one second; more is dropped unread (UDP) or answered 503 (TCP/TLS)"},
  {"SIP_RATE_GLOBAL", CFG_INT, F(sip_rate_global), "500", 1, 1000000, NULL, 0, "sip",
   "Out-of-dialog SIP requests per second accepted from all sources together"},
  {"DEBUG_SIP", CFG_BOOL, F(debug_sip), "0", 0, 0, NULL, 0, "sip",
   "Log every SIP message sent and received (debug level)"},

  /* --- media ------------------------------------------------------------ */
  {"MEDIA_ADDRESS", CFG_STR, F(media_address), "", 0, 0, NULL, 0, "media",
   "IP address announced in SDP (default: the SIP listening address, or the "
   "address of the default route when that is 0.0.0.0)"},
  {"MEDIA_PORT_BASE", CFG_INT, F(media_port_base), "10000", 1024, 65534, NULL, 0, "media",
   "First UDP port of the RTP/RTCP pool (even)"},
  {"MEDIA_PORT_COUNT", CFG_INT, F(media_port_count), "2000", 2, 64512, NULL, 0, "media",
   "Number of UDP ports in the pool (two per call: RTP and RTCP)"},
  {"MEDIA_TIMEOUT_S", CFG_INT, F(media_timeout_s), "30", 1, 3600, NULL, 0, "media",
   "Seconds without caller RTP before the call is ended"},
  {"MEDIA_PORT_QUARANTINE_S", CFG_INT, F(media_port_quarantine_s), "10", 0, 600, NULL, 0,
   "media", "Seconds a released port pair stays unused so late packets die out"},
  {"JITTER_MIN_MS", CFG_INT, F(jitter_min_ms), "20", 0, 500, NULL, 0, "media",
   "Lowest delay of the adaptive jitter buffer"},
  {"JITTER_MAX_MS", CFG_INT, F(jitter_max_ms), "80", 20, 1000, NULL, 0, "media",
   "Highest delay of the adaptive jitter buffer"},
  {"PLAYOUT_MAX_S", CFG_INT, F(playout_max_s), "60", 1, 600, NULL, 0, "media",
   "Seconds of model audio held for playout; more is dropped and counted"},
  {"GREETING_FILENAME", CFG_FILE, F(greeting_filename), "", 0, 0, NULL, 0, "media",
   "WAV played when the call is answered (PCM16 or G.711, mono)"},
  {"FALLBACK_FILENAME", CFG_FILE, F(fallback_filename), "", 0, 0, NULL, 0, "media",
   "WAV played when the AI service fails (default: a built-in tone)"},
  {"SRTP_MODE", CFG_ENUM, F(srtp_mode), "off", 0, 0, srtp_modes, 0, "media",
   "SRTP with SDES keys: off (RTP/SAVP offers get 488), optional (answer RTP/SAVP or "
   "RTP/AVP in kind) or required (plain offers, and keys over unencrypted SIP, get 488)"},

  /* --- Nova Sonic ------------------------------------------------------- */
  {"AWS_REGION", CFG_STR, F(aws_region), "us-east-1", 0, 0, NULL, 0, "nova",
   "AWS Region of Bedrock (and of Connect unless CONNECT_REGION is set)"},
  {"NOVA_MODEL_ID", CFG_STR, F(nova_model_id), "amazon.nova-2-sonic-v1:0", 0, 0, NULL, 0,
   "nova", "Bedrock model id, ARN or inference profile of the speech-to-speech model"},
  {"NOVA_VOICE_ID", CFG_STR, F(nova_voice_id), "matthew", 0, 0, NULL, 0, "nova",
   "Voice of the model (lower case, e.g. matthew, tiffany, amy)"},
  {"NOVA_PROMPT", CFG_STR, F(nova_prompt), DEFAULT_PROMPT, 0, 0, NULL, 0, "nova",
   "System prompt of every call (per-call prompts come from PROMPTS_DIR)"},
  {"PROMPTS_DIR", CFG_DIR, F(prompts_dir), "", 0, 0, NULL, 0, "nova",
   "Directory of <key>.txt system prompts selectable per call (Connect UUI prompt key)"},
  {"NOVA_INPUT_RATE", CFG_INT, F(nova_input_rate), "8000", 8000, 24000, NULL, 0, "nova",
   "Sample rate of audio sent to the model: 8000, 16000 or 24000"},
  {"NOVA_OUTPUT_RATE", CFG_INT, F(nova_output_rate), "8000", 8000, 24000, NULL, 0, "nova",
   "Sample rate requested from the model: 8000, 16000 or 24000"},
  {"NOVA_ENDPOINTING", CFG_ENUM, F(nova_endpointing), "MEDIUM", 0, 0, endpointing, 0,
   "nova", "Nova 2 turn-detection endpointing sensitivity: HIGH, MEDIUM or LOW"},
  {"NOVA_MAX_TOKENS", CFG_INT, F(nova_max_tokens), "1024", 1, 10000, NULL, 0, "nova",
   "maxTokens inference setting"},
  {"NOVA_TEMPERATURE", CFG_DOUBLE, F(nova_temperature), "0.7", 0, 1, NULL, 0, "nova",
   "temperature inference setting"},
  {"NOVA_TOP_P", CFG_DOUBLE, F(nova_top_p), "0.9", 0, 1, NULL, 0, "nova",
   "topP inference setting"},
  {"NOVA_SESSION_RENEW_S", CFG_INT, F(nova_session_renew_s), "360", 10, 480, NULL, 0,
   "nova", "Seconds after which a stream is renewed (the service ends it at ~8 min)"},
  {"NOVA_SPEAK_FIRST", CFG_BOOL, F(nova_speak_first), "0", 0, 0, NULL, 0, "nova",
   "Let the model greet the caller at answer time (instead of GREETING_FILENAME)"},
  {"NOVA_AUDIO_CHUNK_MS", CFG_INT, F(nova_audio_chunk_ms), "40", 20, 200, NULL, 0, "nova",
   "Caller audio per audioInput event, in ms (multiple of 20)"},

  /* --- AWS -------------------------------------------------------------- */
  {"AWS_ENDPOINT_URL", CFG_URL, F(aws_endpoint_url), "", 0, 0, NULL, 0, "aws",
   "Endpoint override for every AWS service"},
  {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", CFG_URL, F(aws_endpoint_url_bedrock_runtime), "", 0,
   0, NULL, 0, "aws", "Endpoint override for Bedrock Runtime"},
  {"AWS_ENDPOINT_URL_CONNECT", CFG_URL, F(aws_endpoint_url_connect), "", 0, 0, NULL, 0,
   "aws", "Endpoint override for Amazon Connect"},
  {"AWS_CA_BUNDLE", CFG_FILE, F(aws_ca_bundle), "", 0, 0, NULL, 0, "aws",
   "PEM CA bundle for AWS endpoints (default: the system store)"},
  {"AWS_ACCESS_KEY_ID", CFG_STR, F(aws_access_key_id), "", 0, 0, NULL, CFG_SECRET, "aws",
   "Static credentials: access key id"},
  {"AWS_SECRET_ACCESS_KEY", CFG_STR, F(aws_secret_access_key), "", 0, 0, NULL, CFG_SECRET,
   "aws", "Static credentials: secret access key"},
  {"AWS_SESSION_TOKEN", CFG_STR, F(aws_session_token), "", 0, 0, NULL, CFG_SECRET, "aws",
   "Static credentials: session token"},
  {"AWS_PROFILE", CFG_STR, F(aws_profile), "default", 0, 0, NULL, 0, "aws",
   "Profile of the shared credentials/config files"},
  {"AWS_SHARED_CREDENTIALS_FILE", CFG_STR, F(aws_shared_credentials_file), "", 0, 0, NULL,
   0, "aws", "Shared credentials file (default: ~/.aws/credentials)"},
  {"AWS_CONFIG_FILE", CFG_STR, F(aws_config_file), "", 0, 0, NULL, 0, "aws",
   "Shared config file (default: ~/.aws/config)"},
  {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", CFG_STR,
   F(aws_container_credentials_relative_uri), "", 0, 0, NULL, 0, "aws",
   "ECS task-role credentials path on 169.254.170.2 (set by ECS)"},
  {"AWS_CONTAINER_CREDENTIALS_FULL_URI", CFG_URL, F(aws_container_credentials_full_uri), "",
   0, 0, NULL, 0, "aws", "Container credentials URL (loopback or ECS/EKS hosts for http)"},
  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", CFG_STR, F(aws_container_authorization_token), "",
   0, 0, NULL, CFG_SECRET, "aws", "Authorization header for the container credentials URL"},
  {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", CFG_STR,
   F(aws_container_authorization_token_file), "", 0, 0, NULL, 0, "aws",
   "File holding that Authorization header (re-read on every fetch; wins over the variable)"},
  {"AWS_EC2_METADATA_DISABLED", CFG_BOOL, F(aws_ec2_metadata_disabled), "0", 0, 0, NULL, 0,
   "aws", "Never ask EC2 instance metadata (IMDSv2) for credentials"},
  {"AWS_EC2_METADATA_SERVICE_ENDPOINT", CFG_URL, F(aws_ec2_metadata_service_endpoint),
   "http://169.254.169.254", 0, 0, NULL, 0, "aws", "EC2 instance metadata endpoint"},

  /* --- Amazon Connect --------------------------------------------------- */
  {"CONNECT_REGION", CFG_STR, F(connect_region), "", 0, 0, NULL, 0, "connect",
   "Region of the Connect instance when the INVITE's ARNs do not say (default: AWS_REGION)"},
  {"CONNECT_INSTANCE_ID", CFG_STR, F(connect_instance_id), "", 0, 0, NULL, 0, "connect",
   "Connect instance id when the INVITE's ARNs do not say"},
  {"CONNECT_FLUSH_INTERVAL_MS", CFG_INT, F(connect_flush_interval_ms), "2000", 100, 600000,
   NULL, 0, "connect", "Shortest interval between mid-call attribute writes of one call"},
  {"CONNECT_MAX_TPS", CFG_DOUBLE, F(connect_max_tps), "5", 0.1, 1000, NULL, 0, "connect",
   "UpdateContactAttributes requests per second for the whole process"},
  {"CONNECT_FINAL_FLUSH_TIMEOUT_MS", CFG_INT, F(connect_final_flush_timeout_ms), "3000",
   100, 60000, NULL, 0, "connect",
   "How long the final attribute write may delay the BYE before it is given up"},

  /* --- tools ------------------------------------------------------------ */
  {"TOOLS_DIR", CFG_DIR, F(tools_dir), "", 0, 0, NULL, 0, "tools",
   "Directory of JSON tool definitions, one file per tool (built-ins always exist)"},
  {"TOOL_TIMEOUT_MS", CFG_INT, F(tool_timeout_ms), "10000", 100, 600000, NULL, 0, "tools",
   "Time a tool handler may take before the model gets a timeout result"},
  {"TOOLS_ENABLED", CFG_STR, F(tools_enabled), "", 0, 0, NULL, 0, "tools",
   "Comma-separated tool names offered to the model (empty: all)"},
};

const size_t config_defs_count = sizeof config_defs / sizeof config_defs[0];
