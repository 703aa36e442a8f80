/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* RFC 2397 data URLs: data:[<mediatype>][;base64],<data>
 *
 * The grammar accepted is exactly the one of the Go library Ignition uses
 * (vincent-petithory/dataurl), because a data URL Ignition refuses must be
 * refused here too and vice versa:
 *   - the prefix is "data:" in lower case;
 *   - a media type is type "/" subtype made of RFC 2045 token characters, and
 *     the type must start with text, image, audio, video, application,
 *     message or multipart, or be an "x-" extension;
 *   - parameters are ;attr=value with a token or a quoted-string value
 *     (percent escapes are decoded in token values);
 *   - ";base64" must be the last parameter (case-sensitive);
 *   - percent-encoded data may only use printable ASCII except space and
 *     < > # " { } | \ ^ [ ] `, and every '%' must start a two-digit hex escape;
 *   - base64 data may only use A-Z a-z 0-9 + / =, no whitespace, and must be
 *     padded to a multiple of four characters. */

#include <stddef.h>

/* Decodes url into a newly allocated buffer (*out, *out_len; *out is
 * NUL-terminated for convenience, the NUL is not counted). If mediatype is not
 * NULL it receives the media type as written, without ";base64" (e.g.
 * "text/plain;charset=utf-8"), or "text/plain;charset=US-ASCII" when the URL
 * has none. Returns 0, or -EINVAL for a malformed URL. */
int ig_data_url_decode(const char *url, unsigned char **out, size_t *out_len, char **mediatype);

/* Checks url without decoding the payload. Returns 0 or -EINVAL. */
int ig_data_url_check(const char *url);

/* Like ig_data_url_check(); on failure *why (if why is not NULL) points to a
 * static, lower-case explanation such as "missing comma before data". */
int ig_data_url_check_why(const char *url, const char **why);
