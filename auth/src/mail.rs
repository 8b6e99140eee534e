//! The emails auth sends, one typed struct per kind. Each renders a plain-text body and an HTML
//! alternative (askama, `templates/email/`, one shared layout, no external images or fonts, every
//! value escaped in the HTML) and becomes a [`Message`] for the outbox.

use email::Message;

use crate::error::AuthError;

/// One kind of email: its subject and its two renderings.
pub trait Mail {
    fn subject(&self) -> &'static str;
    fn text(&self) -> askama::Result<String>;
    fn html(&self) -> askama::Result<String>;

    /// The message for `to`, ready for the outbox.
    fn to_message(&self, to: &str) -> Result<Message, AuthError> {
        Ok(Message {
            to: to.to_owned(),
            subject: self.subject().to_owned(),
            body: self.text().map_err(AuthError::internal)?,
            html: Some(self.html().map_err(AuthError::internal)?),
        })
    }
}

/// Declares an email kind: the struct's text and HTML templates (`templates/email/<name>.txt`
/// and `.html`) as two small askama structs borrowing it, and its [`Mail`] impl.
macro_rules! mail {
    ($kind:ident, $module:ident, $subject:literal, $txt:literal, $html:literal) => {
        mod $module {
            use askama::Template;

            // `allow`: a kind with nothing to fill in (AccountDeleted) never reads `m`.
            #[allow(dead_code)]
            #[derive(Template)]
            #[template(path = $txt)]
            pub(super) struct Text<'a> {
                pub(super) m: &'a super::$kind,
            }

            #[allow(dead_code)]
            #[derive(Template)]
            #[template(path = $html)]
            pub(super) struct Html<'a> {
                pub(super) m: &'a super::$kind,
            }
        }

        impl Mail for $kind {
            fn subject(&self) -> &'static str {
                $subject
            }
            fn text(&self) -> askama::Result<String> {
                askama::Template::render(&$module::Text { m: self })
            }
            fn html(&self) -> askama::Result<String> {
                askama::Template::render(&$module::Html { m: self })
            }
        }
    };
}

/// "Confirm your email": the link activates a new account (or verifies an address).
pub struct Verify {
    pub link: String,
}
mail!(
    Verify,
    verify,
    "Confirm your email for Scanpage",
    "email/verify.txt",
    "email/verify.html"
);

pub struct Reset {
    pub link: String,
}
mail!(
    Reset,
    reset,
    "Reset your Scanpage password",
    "email/reset.txt",
    "email/reset.html"
);

/// The waitlist let this person in: their account exists and takes the password they chose.
pub struct WaitlistApproved {
    pub sign_in_link: String,
    pub reset_link: String,
}
mail!(
    WaitlistApproved,
    waitlist_approved,
    "You're in: your Scanpage account is ready",
    "email/waitlist_approved.txt",
    "email/waitlist_approved.html"
);

/// A founder invited this address: a sign-up link carrying the code.
pub struct Invite {
    pub code: String,
    pub link: String,
}
mail!(
    Invite,
    invite,
    "You're invited to Scanpage",
    "email/invite.txt",
    "email/invite.html"
);

pub struct PasswordChanged {
    pub reset_link: String,
}
mail!(
    PasswordChanged,
    password_changed,
    "Your Scanpage password was changed",
    "email/password_changed.txt",
    "email/password_changed.html"
);

/// A sign-in from a device the account had not used before. `device` is a short description
/// ("Firefox on Linux"), never an address.
pub struct NewSignIn {
    pub device: String,
    pub settings_link: String,
}
mail!(
    NewSignIn,
    new_sign_in,
    "New sign-in to your Scanpage account",
    "email/new_sign_in.txt",
    "email/new_sign_in.html"
);

pub struct AccountDeleted;
mail!(
    AccountDeleted,
    account_deleted,
    "Your Scanpage account was deleted",
    "email/account_deleted.txt",
    "email/account_deleted.html"
);

/// Sign-up with an address that already has an account: the answer to the form is the same as
/// for a new address, and the owner learns here what happened (and how to get in).
pub struct SignupAttempt {
    pub sign_in_link: String,
    pub reset_link: String,
}
mail!(
    SignupAttempt,
    signup_attempt,
    "Someone tried to sign up with your Scanpage address",
    "email/signup_attempt.txt",
    "email/signup_attempt.html"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_renders_text_and_html_with_its_link() {
        let link = "http://localhost:3000/verify/abc";
        let message = Verify { link: link.into() }.to_message("a@b.test").unwrap();
        assert!(message.body.contains(link));
        let html = message.html.unwrap();
        assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
        assert!(!html.contains("<img"), "no external images");
        assert!(!html.contains("fonts.googleapis"), "no external fonts");
    }

    #[test]
    fn html_escapes_what_it_shows() {
        let mail = NewSignIn {
            device: "<script>x</script>".into(),
            settings_link: "http://localhost:3000/app/settings".into(),
        };
        let html = mail.html().unwrap();
        assert!(!html.contains("<script>"), "{html}");
        // Plain text is not HTML: shown as typed.
        assert!(mail.text().unwrap().contains("<script>x</script>"));
    }
}
