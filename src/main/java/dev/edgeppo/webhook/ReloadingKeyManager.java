package dev.edgeppo.webhook;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The webhook's server key and certificate chain from two PEM files, re-read at the first handshake after
 * either file changes (modification time, size or file identity: a Secret volume swaps a symlink, cert-manager
 * rewrites in place), so a rotated certificate is served without a restart. A pair that fails to load
 * (a half-written rotation, a key that does not match) is logged and the last good pair kept.
 * The key may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC): BouncyCastle's PEM parser reads them all.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger LOG = Logger.getLogger(ReloadingKeyManager.class.getName());
  private static final String ALIAS = "webhook";

  private final Path certFile;
  private final Path keyFile;
  private volatile Loaded current;

  private record Stamp(Object certId, FileTime certTime, long certSize, Object keyId, FileTime keyTime, long keySize) {}

  /** One loaded pair; its alias names its generation, so a handshake that straddles a reload gets one consistent pair. */
  private record Loaded(Stamp stamp, X509Certificate[] chain, PrivateKey key, String alias) {}

  private volatile Loaded previous;
  private long generation;

  /** Loads the pair now; a pair that cannot be loaded at start is an error. */
  public ReloadingKeyManager(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
    this.certFile = certFile;
    this.keyFile = keyFile;
    Stamp s = stamp();
    this.current = load(s);
  }

  /** Reloads if the files changed; returns the pair in force. */
  private Loaded fresh() {
    Loaded l = current;
    Stamp s;
    try {
      s = stamp();
    } catch (IOException e) {
      LOG.warning("TLS files unreadable, keeping the loaded certificate: " + e.getMessage());
      return l;
    }
    if (s.equals(l.stamp())) return l;
    synchronized (this) {
      if (s.equals(current.stamp())) return current;
      try {
        Loaded next = load(s);
        previous = current;
        current = next;
        LOG.info("TLS certificate reloaded: " + current.chain()[0].getSubjectX500Principal()
            + ", valid until " + current.chain()[0].getNotAfter().toInstant());
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        LOG.warning("TLS files changed but do not load, keeping the loaded certificate: " + e.getMessage());
        current = new Loaded(s, current.chain(), current.key(), current.alias()); // retried when they change again
      }
      return current;
    }
  }

  private Stamp stamp() throws IOException {
    BasicFileAttributes c = Files.readAttributes(certFile, BasicFileAttributes.class);
    BasicFileAttributes k = Files.readAttributes(keyFile, BasicFileAttributes.class);
    return new Stamp(c.fileKey(), c.lastModifiedTime(), c.size(), k.fileKey(), k.lastModifiedTime(), k.size());
  }

  private synchronized Loaded load(Stamp s) throws IOException, GeneralSecurityException {
    byte[] certBytes = Files.readAllBytes(certFile);
    List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(certBytes)).stream().map(X509Certificate.class::cast).toList();
    if (chain.isEmpty()) throw new GeneralSecurityException(certFile + " holds no certificate");
    PrivateKey key = readKey(keyFile);
    if (!Objects.equals(chain.getFirst().getPublicKey().getAlgorithm(), key.getAlgorithm())) {
      throw new GeneralSecurityException("key " + keyFile + " is " + key.getAlgorithm() + " but the certificate's is "
          + chain.getFirst().getPublicKey().getAlgorithm());
    }
    return new Loaded(s, chain.toArray(X509Certificate[]::new), key, ALIAS + "-" + (++generation));
  }

  static PrivateKey readKey(Path file) throws IOException {
    try (PEMParser p = new PEMParser(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        if (o instanceof PEMKeyPair kp) {
          KeyPair pair = conv.getKeyPair(kp);
          return pair.getPrivate();
        }
        if (o instanceof PrivateKeyInfo info) return conv.getPrivateKey(info);
      }
    }
    throw new IOException(file + " holds no unencrypted private key (PKCS#8, PKCS#1 or SEC1 PEM)");
  }

  /** The certificate served now (after a reload check). */
  public X509Certificate certificate() {
    return fresh().chain()[0];
  }

  @Override public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) { return alias(keyType); }
  @Override public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) { return alias(keyType); }

  private String alias(String keyType) {
    Loaded l = fresh();
    String alg = l.key().getAlgorithm();
    // JSSE asks per key type ("RSA", "EC", "RSASSA-PSS", "EdDSA"...); answer only for ours.
    return keyType == null || keyType.equals(alg) || (alg.equals("EC") && keyType.startsWith("EC")) ? l.alias() : null;
  }

  private Loaded byAlias(String alias) {
    Loaded c = current;
    Loaded p = previous;
    if (c.alias().equals(alias)) return c;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  @Override public X509Certificate[] getCertificateChain(String alias) {
    Loaded l = byAlias(alias);
    return l == null ? null : l.chain().clone();
  }

  @Override public PrivateKey getPrivateKey(String alias) {
    Loaded l = byAlias(alias);
    return l == null ? null : l.key();
  }

  @Override public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = alias(keyType);
    return a == null ? null : new String[] {a};
  }
  @Override public String[] getClientAliases(String keyType, Principal[] issuers) { return null; }
  @Override public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) { return null; }
}
