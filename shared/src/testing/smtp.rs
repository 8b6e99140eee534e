//! A local SMTP server that accepts (or refuses) mail for tests.

/// One message an [`SmtpSink`] accepted.
#[derive(Debug, Clone)]
pub struct SinkMessage {
    pub recipients: Vec<String>,
    /// The DATA section as sent (headers and body, dot-stuffing removed).
    pub data: String,
}

/// A local SMTP server for tests: speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET,
/// NOOP, QUIT) to accept messages, without TLS or authentication. The first `refuse_first`
/// recipients are answered `451` (a temporary failure), to exercise retries; [`SmtpSink::rejecting`]
/// answers every recipient `550` (a permanent one).
pub struct SmtpSink {
    pub port: u16,
    received: tokio::sync::mpsc::UnboundedReceiver<SinkMessage>,
}

impl SmtpSink {
    pub async fn start(refuse_first: usize) -> SmtpSink {
        Self::start_with(refuse_first, b"451 try again later\r\n").await
    }

    /// A sink that refuses every recipient with `550` (no such mailbox).
    pub async fn rejecting() -> SmtpSink {
        Self::start_with(usize::MAX, b"550 no such mailbox here\r\n").await
    }

    async fn start_with(refuse_first: usize, refusal: &'static [u8]) -> SmtpSink {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let (sender, received) = tokio::sync::mpsc::unbounded_channel();
        let refusals = Arc::new(AtomicUsize::new(refuse_first));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                let refusals = refusals.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut recipients = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "RCPT" => {
                                let refused = refusals
                                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                        n.checked_sub(1)
                                    })
                                    .is_ok();
                                if refused {
                                    refusal
                                } else {
                                    let address = line
                                        .split_once('<')
                                        .and_then(|(_, rest)| rest.split_once('>'))
                                        .map(|(a, _)| a.to_owned())
                                        .unwrap_or_default();
                                    recipients.push(address);
                                    b"250 OK\r\n"
                                }
                            }
                            "DATA" => {
                                let _ = write.write_all(b"354 go ahead\r\n").await;
                                let mut data = String::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                                    data.push('\n');
                                }
                                let _ = sender.send(SinkMessage {
                                    recipients: std::mem::take(&mut recipients),
                                    data,
                                });
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"502 not implemented\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SmtpSink { port, received }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next accepted message, waiting up to `wait`.
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<SinkMessage> {
        tokio::time::timeout(wait, self.received.recv())
            .await
            .ok()
            .flatten()
    }
}
