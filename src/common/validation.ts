/** RFC 1123 label: what Kubernetes accepts as a namespace name (and Service name). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;

/** RFC 1123 subdomain: what Kubernetes accepts as the name of most objects, VirtualServices included. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_MAX = 253;

export const DNS1123_LABEL_MESSAGE = 'must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)';
export const DNS1123_SUBDOMAIN_MESSAGE = 'must be a DNS-1123 name (lower-case letters, digits, "-" and ".", at most 253 characters)';

export function isDns1123Label(value: unknown): value is string {
  return typeof value === 'string' && value.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(value);
}

export function isDns1123Subdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(value);
}
