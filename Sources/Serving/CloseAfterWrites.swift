import NIOCore

/// Lets a connection that is asked to close finish writing what it was given first.
///
/// On a graceful shutdown (SIGTERM), Hummingbird closes each connection as soon as the response to its request in
/// flight has been handed to the channel, and NIO's full `close` discards the writes the socket has not taken yet:
/// a large answer (a thousand predictions) was cut off although its records were committed. This handler sits
/// between Hummingbird's HTTP codec and its connection handler, so the response parts pass through it. A full close
/// waits until the writes before it have gone out to the kernel (or failed), at most `limit`, so a client that reads
/// slowly or not at all cannot hold up the shutdown. While a close waits, nothing more is read: a next request on the
/// connection would be classified and then cut off. A close that NIO makes itself (the client half-closing its
/// side) does not pass through handlers and is not held.
final class CloseAfterWrites: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    /// How long a close waits for the writes before it.
    static let limit = TimeAmount.seconds(10)
    private var pendingWrites = 0
    private var waitingClose: (() -> Void)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A promise of this event loop (the caller's may belong to another), completing the caller's.
        let written = context.eventLoop.makePromise(of: Void.self)
        pendingWrites += 1
        written.futureResult.assumeIsolated().whenComplete { result in
            promise?.completeWith(result)
            self.pendingWrites -= 1
            if self.pendingWrites == 0 { self.waitingClose?() }
        }
        context.write(data, promise: written)
    }

    func read(context: ChannelHandlerContext) {
        if waitingClose == nil { context.read() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, pendingWrites > 0 else {
            context.close(mode: mode, promise: promise)
            return
        }
        guard waitingClose == nil else {
            // A second close joins the one that waits.
            if let promise { context.channel.closeFuture.cascade(to: promise) }
            return
        }
        var timer: Scheduled<Void>?
        let close = {
            self.waitingClose = nil
            timer?.cancel()
            context.close(mode: mode, promise: promise)
        }
        waitingClose = close
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.limit) { close() }
        context.flush()
    }
}
