import multiprocessing


def action(conn, name):
    print(multiprocessing.current_process().pid, '进程发送数据', name)
    conn.send(name)


if __name__ == '__main__':
    conn1, conn2 = multiprocessing.Pipe()  # 创建Pipe
    process = multiprocessing.Process(target=action, args=(conn1, 'python'))
    process.start()
    process.join()

    print(multiprocessing.current_process().pid,'接收数据：')
    print(conn2.recv())
