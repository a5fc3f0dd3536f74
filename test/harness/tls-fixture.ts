/**
 * A self-signed certificate for 127.0.0.1 and localhost (EC P-256, valid until 2126), for HTTPS
 * test targets only (a throwaway key, not a secret). Generated once with:
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 *  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"`.
 * Kept in a .ts module (not .pem files) so it travels with the compiled tests into dist/.
 */

export const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTLQ0MJGRosQ2gBA/
OLv4SMN2sfYX5nLA9TaP8iPFsGmhRANCAATVUVbzhQXem6qN+r6/0fgbmFO2UDRg
S8us1zq4ExiDQKYIdMm6non66Q7FYs5qdGY2BXrlVjwR3UHmaOWOhsWy
-----END PRIVATE KEY-----`;

export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUIgWXyy2exzx2o5kzVXfqp8PLVRswCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjAwMDUwOVoYDzIxMjYxMDI5
MDAwNTA5WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATVUVbzhQXem6qN+r6/0fgbmFO2UDRgS8us1zq4ExiDQKYIdMm6non6
6Q7FYs5qdGY2BXrlVjwR3UHmaOWOhsWyo28wbTAdBgNVHQ4EFgQUHKofkrMf1NNh
qM0q9/SUgr7Df6UwHwYDVR0jBBgwFoAUHKofkrMf1NNhqM0q9/SUgr7Df6UwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIgM3xi+0/tyqxrRWZTpVIAr3sn2Xg8TF72oX2mFzzAjqsCIQCH
gp6cWw/PWPD1mFe0pftzada2T3luxr0luHE0CYgldQ==
-----END CERTIFICATE-----`;
