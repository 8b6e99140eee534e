//! The standard stack's own layers, written as plain tower services. `axum::middleware::from_fn`
//! would be shorter, but it boxes the rest of the chain and its future on every request; on a
//! bare `/healthz` its six uses cost more than the work they did (issue 25). Two shapes cover
//! them: a [`Guard`], which may answer before the inner service runs, and an [`Around`], which
//! notes something about the request and uses it on the answer. Neither allocates.

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::Request;
use axum::response::Response;
use futures_util::future::Either;
use tower::{Layer, Service};

/// A layer that puts one part (a [`Check`] or a [`Watcher`]) around each service; the part's
/// kind decides what [`Wrapped`] does with a request.
#[derive(Clone)]
pub struct PartLayer<P> {
    part: P,
}

impl<S, P: Clone> Layer<S> for PartLayer<P> {
    type Service = Wrapped<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        Wrapped {
            inner,
            part: self.part.clone(),
        }
    }
}

/// A service with its part.
#[derive(Clone)]
pub struct Wrapped<S, P> {
    inner: S,
    part: P,
}

/// A check of the request made before the inner service runs: `Some(answer)` answers at once,
/// `None` passes the request on (the check may have added extensions to it).
#[derive(Clone)]
pub struct Check<F>(F);

pub type GuardLayer<F> = PartLayer<Check<F>>;
pub type Guard<S, F> = Wrapped<S, Check<F>>;

impl<F> GuardLayer<F>
where
    F: Fn(&mut Request) -> Option<Response> + Clone,
{
    pub fn new(check: F) -> Self {
        Self { part: Check(check) }
    }
}

impl<S, F> Service<Request> for Guard<S, F>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    F: Fn(&mut Request) -> Option<Response>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        match (self.part.0)(&mut request) {
            Some(answer) => Either::Left(ready(Ok(answer))),
            None => Either::Right(self.inner.call(request)),
        }
    }
}

/// What an [`Around`] layer does: note something about the request, then use it on the answer
/// (whose body is a `B`: layers such as compression change the body's type on its way out).
pub trait Watch<B>: Clone {
    /// What is kept from the request until its answer is ready.
    type Noted: Send;

    fn before(&self, request: &Request) -> Self::Noted;

    fn after(noted: Self::Noted, response: Response<B>) -> Response<B>;
}

/// The part of an [`Around`]: its [`Watch`].
#[derive(Clone)]
pub struct Watcher<W>(W);

pub type AroundLayer<W> = PartLayer<Watcher<W>>;
pub type Around<S, W> = Wrapped<S, Watcher<W>>;

impl<W: Clone> AroundLayer<W> {
    pub fn new(watch: W) -> Self {
        Self {
            part: Watcher(watch),
        }
    }
}

impl<S, W, B> Service<Request> for Around<S, W>
where
    S: Service<Request, Response = Response<B>, Error = Infallible>,
    W: Watch<B>,
{
    type Response = Response<B>;
    type Error = Infallible;
    type Future = Watched<S::Future, W, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let noted = self.part.0.before(&request);
        Watched {
            inner: self.inner.call(request),
            noted: Some(noted),
            watch: std::marker::PhantomData,
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's future, with what was noted of its request.
    pub struct Watched<F, W: Watch<B>, B> {
        #[pin]
        inner: F,
        noted: Option<W::Noted>,
        watch: std::marker::PhantomData<fn() -> W>,
    }
}

impl<F, W, B> Future for Watched<F, W, B>
where
    F: Future<Output = Result<Response<B>, Infallible>>,
    W: Watch<B>,
{
    type Output = Result<Response<B>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(response) = ready!(this.inner.poll(cx));
        let noted = this
            .noted
            .take()
            .expect("a Watched future is not polled after it is ready");
        Poll::Ready(Ok(W::after(noted, response)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{HeaderValue, StatusCode};
    use tower::{ServiceBuilder, ServiceExt, service_fn};

    fn echo_path() -> impl Service<
        Request,
        Response = Response,
        Error = Infallible,
        Future = impl Future<Output = Result<Response, Infallible>> + Send,
    > + Clone {
        service_fn(|request: Request| async move {
            Ok::<_, Infallible>(Response::new(Body::from(request.uri().path().to_owned())))
        })
    }

    #[tokio::test]
    async fn a_guard_answers_or_passes_the_request_on() {
        let service = ServiceBuilder::new()
            .layer(GuardLayer::new(|request: &mut Request| {
                (request.uri().path() == "/no").then(|| {
                    let mut answer = Response::new(Body::empty());
                    *answer.status_mut() = StatusCode::FORBIDDEN;
                    answer
                })
            }))
            .service(echo_path());
        let refused = service
            .clone()
            .oneshot(Request::get("/no").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let passed = service
            .oneshot(Request::get("/yes").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(passed.status(), StatusCode::OK);
    }

    /// Copies the request's path onto the answer as a header.
    #[derive(Clone)]
    struct PathOnAnswer;

    impl<B> Watch<B> for PathOnAnswer {
        type Noted = String;

        fn before(&self, request: &Request) -> String {
            request.uri().path().to_owned()
        }

        fn after(path: String, mut response: Response<B>) -> Response<B> {
            response
                .headers_mut()
                .insert("x-path", HeaderValue::from_str(&path).unwrap());
            response
        }
    }

    #[tokio::test]
    async fn around_uses_what_it_noted_of_the_request_on_the_answer() {
        let service = ServiceBuilder::new()
            .layer(AroundLayer::new(PathOnAnswer))
            .service(echo_path());
        let answer = service
            .oneshot(Request::get("/seen").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(answer.headers()["x-path"], "/seen");
    }
}
