import NIOCore

/// Lets a connection that is asked to close finish writing what it was given first.
///
/// On a graceful shutdown (SIGTERM), Hummingbird closes each connection as soon as the response to its request in
/// flight has been handed to the channel, and NIO's `close` discards the writes the socket has not taken yet: a
/// large answer (a thousand predictions) was cut off although its records were committed. This handler sits
/// between the socket and Hummingbird's connection handler. A full close waits until the writes before it have gone
/// out (or failed), or `limit` has passed, so a client that stops reading cannot hold up the shutdown.
final class CloseAfterWrites: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    /// How long a close waits for the writes before it.
    static let limit = TimeAmount.seconds(10)
    private var pendingWrites = 0
    private var waitingClose: (() -> Void)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = promise ?? context.eventLoop.makePromise()
        pendingWrites += 1
        written.futureResult.assumeIsolated().whenComplete { _ in
            self.pendingWrites -= 1
            if self.pendingWrites == 0, let close = self.waitingClose {
                self.waitingClose = nil
                close()
            }
        }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, pendingWrites > 0, waitingClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        var closed = false
        let close = {
            guard !closed else { return }
            closed = true
            context.close(mode: mode, promise: promise)
        }
        waitingClose = close
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.limit) { close() }
        context.flush()
    }
}
