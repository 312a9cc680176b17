/*
 * tests/lib/auth/vectors.h: the Clerk test vectors of external-apis.md §9.8
 * — the public JWK of Clerk's own test fixture (kid
 * ins_2GIoQhbUpy0hX7B2cVkuTMinXoD; its private key is not in this repo),
 * the v2 token V2 signed with it, and the HS256 key-confusion token A2.
 */
#ifndef SENTIA_TESTS_AUTH_VECTORS_H
#define SENTIA_TESTS_AUTH_VECTORS_H

#define VEC_KID "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD"
#define VEC_N \
    "qYy3MY8fOneEyzNDu9lp6iGXKkNUF-u_dUnrlkadZYyB35efzKFJEr9fftmWv5PUj1uRHTQ3bh6X1cceOYsIjy008d" \
    "HWZJsKhGOxgdTjeK91rjaklxt7tyFXEiKHIOr1LSgKzopClOfCIjxK_oPUOf38pVh7WnekcSBQmU5fqA-EzKMi6k9V" \
    "wvbzqKlZM4XQsiFyn28d9VubJWjTU8nNot0n1NE-9k6TxM8nglM4RwkBH4Ni4B0LhKKOOV-AG8tBNiZVil415dpBld" \
    "mJ_j0wk7Ad4VFi9en3Z17oCKr-K-zuT7vKMKSb1548dk0vnmi0vj2QGXSo-61wM5yQWpk6sQ"

#define VEC_V2 \
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18yR0lvUWhiVXB5MGhYN0IyY1ZrdVRNaW5Yb0QiLCJ0eXAiOiJKV1QifQ" \
    ".eyJhenAiOiJodHRwczovL2FwcC5leGFtcGxlLmNvbSIsImV4cCI6MTc2NzIyNTY2MCwiZmVhIjoibzpkYXNoYm9hc" \
    "mQiLCJmdmEiOls3LC0xXSwiaWF0IjoxNzY3MjI1NjAwLCJpc3MiOiJodHRwczovL2NsZXJrLmV4YW1wbGUuY29tIiw" \
    "ianRpIjoiYTFiMmMzZDRlNWY2YTdiOGM5ZDAiLCJuYmYiOjE3NjcyMjU1OTAsIm8iOnsiaWQiOiJvcmdfMmFiY0RFR" \
    "mdoaUpLTG1ub1BRUnN0dVZXWHl6Iiwicm9sIjoiYWRtaW4iLCJzbGciOiJhY21lIiwicGVyIjoicmVhZCxtYW5hZ2U" \
    "iLCJmcG0iOiIzIn0sInBsYSI6InU6ZnJlZSxvOnBybyIsInNpZCI6InNlc3NfMmFiY0RFRmdoaUpLTG1ub1BRUnN0d" \
    "VZXWHl6Iiwic3RzIjoiYWN0aXZlIiwic3ViIjoidXNlcl8yYWJjREVGZ2hpSktMbW5vUFFSc3R1VldYeXoiLCJ2Ijo" \
    "yLCJtZXRhZGF0YSI6eyJyb2xlIjoicGxhbm5lciJ9fQ.imoXmslGt5OrDr-mpMSSicAqNrhPCgcRJc8m07lAH-quaq" \
    "KFYhkpaqK6OOxeb61g1BckxILiyYcGbi-xVapt2koqBGx4mZnlhIM_xSEG0Lkp0nHvkYTFV2JCa-m6A0vSI9oPTKus" \
    "GG3dMJ4B35JUjsqd6EUTr-TADxNK0egh_cNCUlekO7HURDuM7619QyUm3mi2mjtdNsiddHQwv3yKqKDaI0kwiRcHP4" \
    "zYdPN9zjfiyR4j0nsFEgs6-RXpfTB2Ryw1SJoWOrUCPMJhB-fH-Kbi5nAqCRzMuopltXDHLZVpqp4lOEW6BU3X38p0" \
    "jW2YEyE6WMXTv9Cz6GCDq7EMgA"

#define VEC_A2 \
    "eyJhbGciOiJIUzI1NiIsImtpZCI6Imluc18yR0lvUWhiVXB5MGhYN0IyY1ZrdVRNaW5Yb0QiLCJ0eXAiOiJKV1QifQ" \
    ".eyJhenAiOiJodHRwczovL2FwcC5leGFtcGxlLmNvbSIsImV4cCI6MTc2NzIyNTY2MCwiZmVhIjoibzpkYXNoYm9hc" \
    "mQiLCJmdmEiOls3LC0xXSwiaWF0IjoxNzY3MjI1NjAwLCJpc3MiOiJodHRwczovL2NsZXJrLmV4YW1wbGUuY29tIiw" \
    "ianRpIjoiYTFiMmMzZDRlNWY2YTdiOGM5ZDAiLCJuYmYiOjE3NjcyMjU1OTAsIm8iOnsiaWQiOiJvcmdfMmFiY0RFR" \
    "mdoaUpLTG1ub1BRUnN0dVZXWHl6Iiwicm9sIjoiYWRtaW4iLCJzbGciOiJhY21lIiwicGVyIjoicmVhZCxtYW5hZ2U" \
    "iLCJmcG0iOiIzIn0sInBsYSI6InU6ZnJlZSxvOnBybyIsInNpZCI6InNlc3NfMmFiY0RFRmdoaUpLTG1ub1BRUnN0d" \
    "VZXWHl6Iiwic3RzIjoiYWN0aXZlIiwic3ViIjoidXNlcl8yYWJjREVGZ2hpSktMbW5vUFFSc3R1VldYeXoiLCJ2Ijo" \
    "yLCJtZXRhZGF0YSI6eyJyb2xlIjoicGxhbm5lciJ9fQ.QzPOmzCPcgb7cujbtH0UNJ2fekjgyDxhPjg7u9FiryA"

#define VEC_V2_SHA256 "c4ef17441f98793700edacd204b0f179235972ddc27416d9115a3c7de0b016f1"
#define VEC_JWKS                                                                             \
    "{\"keys\":[{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"" VEC_KID "\",\"alg\":\"RS256\","  \
    "\"n\":\"" VEC_N "\",\"e\":\"AQAB\"}]}"

#endif
