/*
 * connect_cli: `nova-gateway connect-update` — write contact attributes to a
 * real Amazon Connect instance with the gateway's own client, credentials and
 * endpoint rules, to test an account's setup (IAM, region, instance, contact):
 *
 *   nova-gateway connect-update --instance-id <id> --contact-id <initial id>
 *                               [--region <r>] --attr k=v [--attr k=v ...]
 *
 * Configuration (AWS_*, CONNECT_REGION, AWS_ENDPOINT_URL_CONNECT, ...) comes
 * from the environment as for the gateway. Exit status: 0 written, 1 API or
 * transport failure (the API's error type and message are printed), 2 usage.
 */
#ifndef NOVA_GATEWAY_CONNECT_CLI_H
#define NOVA_GATEWAY_CONNECT_CLI_H

/* argv[0] is the command name ("connect-update"). */
int connect_cli_main(int argc, char **argv);

#endif
